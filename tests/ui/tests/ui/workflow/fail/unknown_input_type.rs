use workflow_core::prelude::*;

#[node]
async fn fetch(url: String) -> Vec<u8> {
    url.into_bytes()
}

workflow! {
    struct Pipeline {
        input url: Strng,
        fetch = fetch(url),
    }
}

fn main() {}
