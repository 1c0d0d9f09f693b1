//! A `retry_if` predicate that takes the error by value: one error at the predicate,
//! with both signatures and the fix (borrow the argument).
use workflow_core::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("unavailable")]
pub struct Unavailable;

fn is_transient(error: Unavailable) -> bool {
    let _ = error;
    true
}

#[node(retry(max = 3, retry_if = is_transient))]
async fn fetch(url: String) -> Result<String, Unavailable> {
    Ok(url)
}

fn main() {}
