//! `max_backoff` below `backoff` would cap even the first delay.
use workflow_core::prelude::*;

#[node(retry(max = 3, backoff = "1s", max_backoff = "10ms"))]
async fn flaky(x: u32) -> Result<u32, std::io::Error> {
    Ok(x)
}

fn main() {}
