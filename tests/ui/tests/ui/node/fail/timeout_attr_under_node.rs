// `#[timeout("2s")]` under `#[node]`: one error at it, with `#[node(timeout = "2s")]`.
use workflow_core::prelude::*;

#[node]
#[timeout("2s")]
async fn fetch(url: String) -> usize {
    url.len()
}

workflow! {
    struct F {
        input url: String,
        n = fetch(url),
    }
}

fn main() {}
