// `total_timeout` limits all attempts and delays together: one not longer than
// `backoff` ends before the first retry could start, so `max = 5` is never reached.
use workflow_core::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("gateway busy")]
struct Busy;

#[node(retry(max = 5, backoff = "2s", total_timeout = "1s"))]
async fn charge() -> Result<u32, Busy> {
    Err(Busy)
}

fn main() {}
