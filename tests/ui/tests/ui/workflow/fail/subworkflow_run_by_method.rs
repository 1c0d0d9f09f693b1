//! A sub-workflow run by a method, as from a `Runtime` (`Render.execute(page: p)`): one
//! error with the call to write, `Render(page: p)`.
use workflow_core::prelude::*;

#[node]
async fn download(url: String) -> Vec<u8> {
    url.into_bytes()
}

#[node]
async fn layout(page: String) -> String {
    format!("<p>{page}</p>")
}

workflow! {
    pub struct Render {
        input page: String,
        html = layout(page),
    }
}

workflow! {
    struct Site {
        input p: String,
        front = Render.execute(page: p),
    }
}

fn main() {}
