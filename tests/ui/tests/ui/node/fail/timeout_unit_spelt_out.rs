// A unit spelt out (`sec`, `millis`) is one error with the short form to write.
use workflow_core::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("busy")]
struct Busy;

#[node(timeout = "5 sec", retry(max = 3, backoff = "100 millis"))]
async fn fetch(url: String) -> Result<String, Busy> {
    Ok(url)
}

workflow! {
    struct Etl {
        input url: String,
        page = fetch(url),
    }
}

fn main() {}
