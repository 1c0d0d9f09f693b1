//! The same habit twice in one call (`page.items[0]`, `page.items[1]`): one error, at the first.
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

#[node]
async fn add(a: u32, b: u32) -> u32 {
    a + b
}

#[node]
async fn shout(title: String) -> String {
    title.to_uppercase()
}

workflow! {
    struct Etl {
        input url: String,
        page = fetch(url),
        sum = add(a: page.items[0], b: page.items[1]),
    }
}

fn main() {
    let _ = |run: Run<EtlOutput>| run.outputs.sum;
}
