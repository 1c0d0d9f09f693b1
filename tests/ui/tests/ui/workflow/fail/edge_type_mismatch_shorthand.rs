//! A type mismatch on a port connected with the shorthand `total(items)`.
use workflow_core::prelude::*;

#[node]
async fn fetch(url: String) -> String {
    url
}

#[node]
async fn total(items: Vec<u8>) -> usize {
    items.len()
}

workflow! {
    struct Etl {
        input url: String,
        items = fetch(url),
        n = total(items),
    }
}

fn main() {}
