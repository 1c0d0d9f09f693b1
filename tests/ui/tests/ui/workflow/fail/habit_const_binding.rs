// `const page = fetch(url)` (JavaScript's and TypeScript's declaration): one error saying
// to remove `const`, and the binding kept. It was "expected identifier, found keyword
// `const`" (mistakes42).
use workflow_core::prelude::*;

#[node]
async fn fetch(url: String) -> Vec<u32> {
    vec![url.len() as u32]
}

#[node]
async fn total(items: Vec<u32>) -> u32 {
    items.iter().sum()
}

workflow! {
    struct W {
        input url: String,
        const page = fetch(url),
        sum = total(items: page),
    }
}

fn main() {}
