//! Retry settings by the names of Temporal's `RetryPolicy` (and tenacity, Celery): each
//! is one error naming the setting meant (`initial_interval` is `backoff`, not the
//! spelling-nearest `max_backoff`), and `maximum_attempts` is not also "needs `max`".
use workflow_core::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("declined")]
pub struct Declined;

#[node(retry(maximum_attempts = 5, initial_interval = "1s"))]
async fn charge(amount: u32) -> Result<u32, Declined> {
    Ok(amount)
}

#[node(retry(max = 4, backoff = "1s", backoff_coefficient = 2.0, maximum_interval = "30s"))]
async fn refund(amount: u32) -> Result<u32, Declined> {
    Ok(amount)
}

fn main() {}
