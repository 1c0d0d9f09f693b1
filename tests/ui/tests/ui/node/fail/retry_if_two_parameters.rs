//! A `retry_if` predicate that also takes the attempt number: one error at the predicate
//! saying it takes one argument (was rustc's help to call it as `transient(transient,
//! /* u32 */)`).
use workflow_core::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("busy")]
pub struct Busy;

fn transient(_e: &Busy, attempt: u32) -> bool {
    attempt < 3
}

#[node(retry(max = 3, retry_if = transient))]
async fn fetch(x: u32) -> Result<u32, Busy> {
    Ok(x)
}

fn main() {}
