//! `-> Result<&str, E>` with nothing to borrow from: one error (rustc's E0106, which
//! suggests `String`), not a second from `#[node]`.
use workflow_core::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("bad")]
pub struct Bad;

#[node]
async fn name(id: u32) -> Result<&str, Bad> {
    let _ = id;
    Ok("x")
}

fn main() {}
