//! `a = tokio::spawn(fetch(url))`: the hand-wired habit of a task per call. One error
//! at the path, naming `#[spawn]`.
use workflow_core::prelude::*;

#[node]
async fn fetch(url: String) -> usize {
    url.len()
}

workflow! {
    struct Crawl {
        input url: String,
        page = tokio::spawn(fetch(url)),
    }
}

fn main() {}
