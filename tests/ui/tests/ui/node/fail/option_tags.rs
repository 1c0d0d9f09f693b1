// `#[node(tags = ["io"])]` (Prefect's task tags, mistakes45): one error saying to remove
// it and where a description and labels go instead; was the options' list alone.
use workflow_core::prelude::*;

#[node(tags = ["io", "slow"])]
async fn fetch(url: String) -> usize {
    url.len()
}

workflow! {
    struct Pipeline {
        input url: String,
        size = fetch(url),
    }
}

fn main() {}
