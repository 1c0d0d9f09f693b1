// A binding of a `for` body read outside it: one error saying it exists once per item
// and how to collect it.
use workflow_core::prelude::*;

#[node]
async fn download(url: String) -> Vec<u8> {
    url.into_bytes()
}

#[node]
async fn size(img: Vec<u8>) -> usize {
    img.len()
}

#[node]
async fn count(imgs: Vec<Vec<u8>>) -> usize {
    imgs.len()
}

workflow! {
    struct Gallery {
        input urls: Vec<String>,
        sizes = for url in urls {
            img = download(url),
            s = size(img),
        } => s,
        n = count(imgs: img),
    }
}

fn main() {}
