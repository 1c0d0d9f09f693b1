// `=> img.len()`: a fan-out collects a body binding whole, not a method call on it
// (mistakes45). One error at `len` saying what to write; was that error (worded for a
// field) and "expected `,` between workflow entries" at the call's `(`.
use workflow_core::prelude::*;

#[node]
async fn download(url: String) -> Vec<u8> {
    url.into_bytes()
}

#[node]
async fn count(imgs: Vec<Vec<u8>>) -> usize {
    imgs.len()
}

workflow! {
    struct Gallery {
        input urls: Vec<String>,
        imgs = for url in urls {
            img = download(url),
        } => img.len(),
        n = count(imgs),
    }
}

fn main() {}
