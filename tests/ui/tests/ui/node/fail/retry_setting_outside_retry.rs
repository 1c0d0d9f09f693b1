//! A `retry` setting written beside `retry(..)` rather than inside it: one error each,
//! saying it goes inside (it was only "unknown `#[node]` option").
use workflow_core::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("flaky")]
pub struct Flaky;

#[node(retry(max = 3), backoff = "1s")]
async fn fetch(url: String) -> Result<usize, Flaky> {
    Ok(url.len())
}

#[node(retry(max = 3), multiplier = 3)]
async fn store(n: usize) -> Result<usize, Flaky> {
    Ok(n)
}

fn main() {}
