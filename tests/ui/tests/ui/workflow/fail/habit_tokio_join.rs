//! `both = tokio::join!(fetch(url), fetch(url))` (hand-wired tokio): one error at
//! `tokio::join` saying independent nodes already run concurrently; `n` keeps its field.
use workflow_core::prelude::*;

#[node]
async fn fetch(url: String) -> String {
    url
}

#[node]
async fn size(raw: String) -> usize {
    raw.len()
}

workflow! {
    struct Pair {
        input url: String,
        both = tokio::join!(fetch(url), fetch(url)),
        n = size(raw: url),
    }
}

fn main() {
    let input = PairInput { url: "x".into() };
    println!("{input:?}");
}
