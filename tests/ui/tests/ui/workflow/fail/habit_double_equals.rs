//! `page == fetch(url)`: one error at `==`; the binding kept.
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
async fn shout(title: String) -> String {
    title.to_uppercase()
}

#[node]
async fn add(a: u32, b: u32) -> u32 {
    a + b
}

workflow! {
    struct Etl {
        input url: String,
        page == fetch(url),
        sum = total(page.items),
    }
}

fn main() {
    let input = EtlInput { url: "x".into() };
    println!("{input:?}");
    let _ = |run: Run<EtlOutput>| run.outputs.sum;
}
