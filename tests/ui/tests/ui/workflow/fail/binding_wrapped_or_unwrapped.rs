//! `d = Some(double(n))` and `p = fetch(url).unwrap()`, an output wrapped or unwrapped
//! as in plain code: one error each saying the binding is the node's output as it
//! returns it (was the ports' "not a call" plus rustc's "cannot find macro `Some`", and
//! "a binding holds the whole output of `fetch`; connect a field").
use workflow_core::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("fetch failed")]
pub struct FetchError;

#[node]
async fn fetch(url: String) -> Result<String, FetchError> {
    Ok(url)
}

#[node]
async fn double(n: u32) -> u32 {
    n * 2
}

workflow! {
    struct Pipeline {
        input url: String,
        input n: u32,
        p = fetch(url).unwrap(),
        d = Some(double(n)),
    }
}

fn main() {}
