use workflow_core::prelude::*;
#[derive(Debug, Clone)]
pub struct Page {
    pub items: Vec<u32>,
}
#[node]
async fn fetch(url: String) -> Page {
    Page {
        items: vec![url.len() as u32],
    }
}
#[node]
async fn total(items: Vec<u32>) -> u32 {
    items.iter().sum()
}
workflow! {
    struct Etl {
        input url: String,
        page = fetch(url),
        sum = total(items: page.item),
    }
}
fn main() {}
