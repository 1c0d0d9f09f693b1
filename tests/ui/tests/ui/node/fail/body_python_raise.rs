// `raise FetchError(..)` (Python) in a node's body: rustc's syntax error, said before
// `#[node]` runs, is the only one. The node is made of the signature, so the workflow
// calling it compiles (no "`#[node]` goes on an `async fn`", no "cannot find macro").
use workflow_core::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("bad url: {0}")]
pub struct FetchError(String);

#[node]
async fn check(url: String) -> Result<String, FetchError> {
    if url.is_empty() {
        raise FetchError("empty".into());
    }
    Ok(url)
}

workflow! {
    struct Checked {
        input url: String,
        c = check(url),
    }
}

fn main() {}
