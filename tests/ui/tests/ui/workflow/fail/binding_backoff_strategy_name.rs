//! `backoff = "exponential"` on a binding's `#[retry(..)]`, as other retry libraries name
//! a strategy: one error at the string, saying `backoff` is the first delay and that it
//! doubles already (it was "\"exponential\" is not a duration").
use workflow_core::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("flaky")]
pub struct Flaky;

#[node]
async fn fetch(url: String) -> Result<usize, Flaky> {
    Ok(url.len())
}

workflow! {
    struct W {
        input url: String,
        #[retry(max = 3, backoff = "exponential")]
        n = fetch(url),
    }
}

fn main() {}
