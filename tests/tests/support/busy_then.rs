//! A node that fails its first two attempts (`#[path]` module of the test binaries that
//! test retries against the stall watchdogs).

use workflow_core::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("busy")]
pub(crate) struct Busy;

/// Fails at once until its third attempt (after waits of 100 ms and 200 ms), which
/// hangs when `hang` (an untracked stall).
#[node(retry(max = 3, backoff = "100ms"))]
pub(crate) async fn busy_then(hang: bool, ctx: &Context) -> Result<u32, Busy> {
    if ctx.attempt() < 3 {
        return Err(Busy);
    }
    if hang {
        std::future::pending::<()>().await;
    }
    Ok(3)
}
