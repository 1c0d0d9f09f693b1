use workflow_core::prelude::*;

#[node]
async fn fetch(url: String) -> Vec<u8> {
    url.into_bytes()
}

#[node]
async fn parse(raw: Vec<u8>) -> usize {
    raw.len()
}

async fn plain(x: u32) -> u32 {
    x
}

workflow! {
    struct Pipeline {
        input x: u32,
        y = plain(x),
    }
}

fn main() {}
