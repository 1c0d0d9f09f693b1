// A binding written with a Rust-style type annotation is one error at the annotation,
// and the binding is kept.
use workflow_core::prelude::*;

#[derive(Debug, Clone)]
pub struct Page {
    pub items: Vec<u32>,
}

#[node]
async fn fetch(url: String) -> Page {
    Page { items: vec![url.len() as u32] }
}

#[node]
async fn total(items: Vec<u32>) -> u32 {
    items.iter().sum()
}

workflow! {
    struct Etl {
        input url: String,
        page: Page = fetch(url),
        sum = total(items: page.items),
    }
}

fn main() {
    let _ = |out: EtlOutput| out.sum;
}
