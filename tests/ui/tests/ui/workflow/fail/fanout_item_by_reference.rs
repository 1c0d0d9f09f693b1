//! `for &u in urls`, as over a Rust iterator: one error at the `&` saying an item is a
//! plain, owned name (was syn's "expected ident").
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
        imgs = for &u in urls {
            d = download(url: u),
        } => d,
    }
}

fn main() {}
