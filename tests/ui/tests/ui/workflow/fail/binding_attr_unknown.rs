use workflow_core::prelude::*;

#[node]
async fn fetch(url: String) -> Vec<u8> {
    url.into_bytes()
}

#[node]
async fn parse(raw: Vec<u8>) -> usize {
    raw.len()
}

workflow! {
    struct Pipeline {
        input url: String,
        #[retries(3)]
        fetch = fetch(url),
    }
}

fn main() {}
