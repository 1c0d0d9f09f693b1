//! `retry[max = 3]`: one error saying `retry` takes its settings in parentheses (a second
//! one, "expected `,`" at the `[`, is gone).
use workflow_core::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("busy")]
pub struct Busy;

#[node(retry[max = 3])]
async fn fetch(url: String) -> Result<String, Busy> {
    Ok(url)
}

fn main() {}
