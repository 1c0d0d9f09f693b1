// `retry(total_timeout)` limits all attempts together, so a per-attempt `timeout`
// that is not shorter than it could never fire.
use workflow_core::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("gateway busy")]
struct Busy;

#[node(timeout = "2s", retry(max = 3, backoff = "100ms", total_timeout = "1s"))]
async fn charge() -> Result<u32, Busy> {
    Err(Busy)
}

fn main() {}
