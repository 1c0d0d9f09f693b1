use workflow_core::prelude::*;

#[node]
async fn download(url: String) -> Vec<u8> {
    url.into_bytes()
}

#[node]
async fn resize(img: Vec<u8>) -> usize {
    img.len()
}

workflow! {
    struct Gallery {
        input urls: Vec<String>,
        thumbs = for url in urls {
            img = download(url),
            thumb = resize(img),
        } => thumbs,
    }
}

fn main() {}
