//! A doubled `,` in `#[workflow(..)]` and in a binding's `#[retry(..)]`: one error at
//! each, and the options after it are still checked (the `max_backoff` below `backoff`
//! is reported too).
use workflow_core::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("busy")]
pub struct Busy;

#[node]
async fn fetch(url: String) -> Result<String, Busy> {
    Ok(url)
}

workflow! {
    #[workflow(timeout = "5s",,)]
    struct Etl {
        input url: String,
        #[retry(max = 3,, backoff = "1s", max_backoff = "500ms")]
        page = fetch(url),
    }
}

fn main() {}
