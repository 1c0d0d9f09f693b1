//! A backoff strategy's name where `backoff` takes a duration: `"exp"` (it doubles
//! already) and `"constant"` (`multiplier = 1`). One error each, at the string, saying
//! what to write; it was "\"exp\" is not a duration".
use workflow_core::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("flaky")]
pub struct Flaky;

#[node(retry(max = 3, backoff = "exp"))]
async fn fetch(url: String) -> Result<usize, Flaky> {
    Ok(url.len())
}

#[node(retry(max = 3, backoff = "constant"))]
async fn store(n: usize) -> Result<usize, Flaky> {
    Ok(n)
}

fn main() {}
