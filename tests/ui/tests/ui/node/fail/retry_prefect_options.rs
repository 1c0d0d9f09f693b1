// Prefect's task options, `retries = 3, retry_delay_seconds = 10`, on a node (mistakes45):
// one error spanning both, naming the `retry(..)` to write with their values (3 retries
// are 4 attempts); was an error for each, the second suggesting `retry(max = 3)`.
use workflow_core::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("unavailable")]
struct Unavailable;

#[node(timeout = "5s", retries = 3, retry_delay_seconds = 10)]
async fn fetch(url: String) -> Result<usize, Unavailable> {
    Ok(url.len())
}

workflow! {
    struct Pipeline {
        input url: String,
        size = fetch(url),
    }
}

fn main() {}
