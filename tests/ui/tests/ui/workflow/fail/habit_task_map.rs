//! Prefect's `task.map(list)`: one error giving the fan-out both ways round, since
//! `urls.map(download)` has the same shape.
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
    struct Gallery {
        input urls: Vec<String>,
        imgs = download.map(urls),
    }
}

fn main() {}
