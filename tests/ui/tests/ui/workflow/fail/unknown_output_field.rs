use workflow_core::prelude::*;

#[node]
async fn fetch(url: String) -> Vec<u8> {
    url.into_bytes()
}

#[node]
async fn parse(raw: Vec<u8>) -> usize {
    raw.len()
}

#[derive(Clone)]
pub struct Page {
    pub body: Vec<u8>,
}

#[node]
async fn download(url: String) -> Page {
    Page { body: url.into_bytes() }
}

workflow! {
    struct Pipeline {
        input url: String,
        page = download(url),
        parse = parse(raw: page.bdy),
    }
}

fn main() {}
