//! An `async fn` as `retry_if` (a predicate that would call a service): one error at the
//! predicate naming the `fn(&E) -> bool` to write (was rustc's "expected `bool`, found
//! future" in the generated call).
use workflow_core::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("busy")]
pub struct Busy;

async fn transient(_e: &Busy) -> bool {
    true
}

#[node(retry(max = 3, retry_if = transient))]
async fn fetch(x: u32) -> Result<u32, Busy> {
    Ok(x)
}

fn main() {}
