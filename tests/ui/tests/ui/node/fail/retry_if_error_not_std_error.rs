// `retry_if` on a node whose error is a `String`: the predicate would take `&String`,
// which the run cannot give back (it keeps errors as `dyn Error`). One error at the
// error type, saying to return an error type of one's own.
use workflow_core::prelude::*;

fn transient(e: &String) -> bool {
    e.contains("timeout")
}

#[node(retry(max = 3, retry_if = transient))]
async fn fetch(url: String) -> Result<usize, String> {
    Ok(url.len())
}

fn main() {}
