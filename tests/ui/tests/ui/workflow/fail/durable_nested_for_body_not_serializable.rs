use workflow_core::prelude::*;
#[derive(Debug, Clone)]
pub struct Img(pub Vec<u8>);
#[node]
async fn download(url: String) -> Img {
    Img(url.into_bytes())
}
#[node]
async fn size(img: Img) -> usize {
    img.0.len()
}
workflow! {
    #[workflow(durable)]
    struct Gallery {
        input pages: Vec<Vec<String>>,
        sizes = for urls in pages {
            page_sizes = for url in urls {
                img = download(url),
                s = size(img),
            } => s,
        } => page_sizes,
    }
}
fn main() {}
