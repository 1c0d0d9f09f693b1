//! A number that does not fit its option: one error naming the option's type and its
//! limit (syn said "number too large to fit in target type").
use workflow_core::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("busy")]
pub struct Busy;

#[node(retry(max = 100000000000))]
async fn fetch(url: String) -> Result<String, Busy> {
    Ok(url)
}

fn main() {}
