use workflow_core::prelude::*;

#[derive(Debug, Clone)]
pub struct Page {
    pub items: Vec<u32>,
    pub title: String,
}

#[node]
async fn fetch(url: String) -> Page {
    Page { items: vec![url.len() as u32], title: url }
}

#[node]
async fn total(items: Vec<u32>) -> u32 {
    items.iter().sum()
}

#[node]
async fn double(x: u32) -> u32 {
    x * 2
}

workflow! {
    struct Doubles {
        input url: String,
        page = fetch(url),
        sum = total(page.items),
        doubled = for x in sum {
            d = double(x),
        } => d,
    }
}

fn main() {}
