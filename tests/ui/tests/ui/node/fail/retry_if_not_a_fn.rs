//! A `retry_if` that names a value, not a predicate: one error at it, naming the
//! signature it needs.
use workflow_core::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("unavailable")]
pub struct Unavailable;

const ALWAYS: bool = true;

#[node(retry(max = 3, retry_if = ALWAYS))]
async fn fetch(url: String) -> Result<String, Unavailable> {
    Ok(url)
}

fn main() {}
