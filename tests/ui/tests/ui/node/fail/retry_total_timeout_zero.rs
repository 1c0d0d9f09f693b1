// A `total_timeout` of zero ends the first attempt at its first poll, and no retry ever
// starts: surely a slip, so it is an error like a zero `timeout`, with or without a
// `backoff`.
use workflow_core::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("gateway busy")]
struct Busy;

#[node(retry(max = 3, total_timeout = "0s"))]
async fn charge() -> Result<u32, Busy> {
    Err(Busy)
}

#[node(retry(max = 3, backoff = "100ms", total_timeout = "0ms"))]
async fn refund() -> Result<u32, Busy> {
    Err(Busy)
}

fn main() {}
