//! `retry(attempts = 3)`: one error naming `max` (not also "needs `max = N`").
use workflow_core::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("flaky")]
pub struct Flaky;

#[node(retry(attempts = 3))]
async fn call(url: String) -> Result<u32, Flaky> {
    Ok(url.len() as u32)
}

fn main() {}
