//! `#[retry]` on a binding whose node cannot fail and has no timeout: rejected, at `retry`.
use workflow_core::prelude::*;

#[derive(Debug, Clone)]
pub struct Page {
    pub title: String,
    pub items: Vec<u32>,
}

#[node]
async fn fetch(url: String) -> Page {
    Page { title: url, items: vec![1, 2] }
}

#[node]
async fn total(items: Vec<u32>) -> u32 {
    items.iter().sum()
}

workflow! {
    struct Etl {
        input url: String,
        #[retry(max = 3)]
        page = fetch(url),
        sum = total(items: page.items),
    }
}

fn main() {}
