//! `#[retry(3)]` above `#[node]`, as a retry crate spells it: our error says to write
//! `#[node(retry(max = 3))]` (the count is `max`; `retry(3)` is no option either). rustc
//! resolves the outer attribute before `#[node]` runs, so its "cannot find attribute
//! `retry`" comes too; no macro can take it back.
use workflow_core::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("flaky")]
pub struct Flaky;

#[retry(3)]
#[node]
async fn fetch(url: String) -> Result<usize, Flaky> {
    Ok(url.len())
}

fn main() {}
