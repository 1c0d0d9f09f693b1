//! Which errors to retry, named as other libraries do (`on = ErrorType`, `when = pred`):
//! one error each, pointing to `retry_if` (before, only the list of settings).
use workflow_core::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("flaky")]
pub struct Flaky;

fn is_transient(_: &Flaky) -> bool {
    true
}

#[node(retry(max = 3, on = Flaky))]
async fn fetch(url: String) -> Result<usize, Flaky> {
    Ok(url.len())
}

#[node(retry(max = 3, when = is_transient))]
async fn store(n: usize) -> Result<usize, Flaky> {
    Ok(n)
}

fn main() {}
