//! `retry(max = -1)` (meaning "unlimited"): one error saying `max` counts attempts and
//! must be at least 1.
use workflow_core::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("unavailable")]
pub struct Unavailable;

#[node(retry(max = -1))]
async fn fetch(url: String) -> Result<String, Unavailable> {
    Ok(url)
}

fn main() {}
