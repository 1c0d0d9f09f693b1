// `=> s.len`: a fan-out collects a body binding whole. One error at `.len` saying what
// to write; the entries after the fan-out still parse.
use workflow_core::prelude::*;

#[derive(Debug, Clone)]
pub struct Size {
    pub len: usize,
}

#[node]
async fn download(url: String) -> Vec<u8> {
    url.into_bytes()
}

#[node]
async fn size(img: Vec<u8>) -> Size {
    Size { len: img.len() }
}

#[node]
async fn count(sizes: Vec<Size>) -> usize {
    sizes.len()
}

workflow! {
    struct Gallery {
        input urls: Vec<String>,
        sizes = for url in urls {
            img = download(url),
            s = size(img),
        } => s.len,
        n = count(sizes),
    }
}

fn main() {}
