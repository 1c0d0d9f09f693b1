// `#[retry(..)]` written under `#[node]` as an attribute of its own (the binding attribute
// of `workflow!`): one error at it, with the `#[node(retry(..))]` to write; the node is
// still emitted, so the workflow using it adds nothing.
use workflow_core::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("flaky")]
pub struct Flaky;

#[node]
#[retry(max = 3, backoff = "100ms")]
async fn fetch(url: String) -> Result<usize, Flaky> {
    Ok(url.len())
}

workflow! {
    struct F {
        input url: String,
        n = fetch(url),
    }
}

fn main() {}
