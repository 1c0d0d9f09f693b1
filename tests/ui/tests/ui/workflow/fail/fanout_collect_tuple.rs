// `=> (img, s)`: a fan-out collects one body binding per item. One error at the tuple;
// the fan-out keeps its field (collecting `img`), so the caller's `run.outputs.sizes`
// adds nothing.
use workflow_core::prelude::*;

#[node]
async fn download(url: String) -> Vec<u8> {
    url.into_bytes()
}

#[node]
async fn size(img: Vec<u8>) -> usize {
    img.len()
}

workflow! {
    struct Thumbs {
        input urls: Vec<String>,
        sizes = for url in urls {
            img = download(url),
            s = size(img),
        } => (img, s),
    }
}

async fn _caller() {
    let run = Runtime::new()
        .execute(Thumbs, ThumbsInput { urls: vec![] })
        .await
        .unwrap();
    let _ = run.outputs.sizes;
}

fn main() {}
