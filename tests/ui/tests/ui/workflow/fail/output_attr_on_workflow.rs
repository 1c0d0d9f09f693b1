// `#[output(page)]` on the workflow (a list of what to keep, as some SDKs declare a
// flow's outputs): one error saying to mark the binding itself, not rustc's "cannot find
// attribute `output`". The workflow is kept, so code using its output adds nothing.
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
    #[output(page, sum)]
    pub struct Etl {
        input url: String,
        page = fetch(url),
        sum = total(items: page.items),
    }
}

fn main() {
    let out = EtlOutput { sum: 1 };
    println!("{out:?}");
}
