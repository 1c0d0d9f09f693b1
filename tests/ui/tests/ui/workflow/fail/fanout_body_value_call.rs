//! A fan-out body ending in a call, as a Rust block's value: one error with the bound call
//! and `=> out` to write (was two: the unnamed call and the missing `=> ..`).
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
        imgs = for u in urls { download(url: u) },
    }
}

fn main() {}
