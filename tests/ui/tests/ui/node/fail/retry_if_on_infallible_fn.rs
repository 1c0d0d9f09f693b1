//! `retry_if` on a node that cannot return an error: one error at the predicate, not
//! rustc's "mismatched types" against `Infallible`.
use workflow_core::prelude::*;

fn always(_: &std::io::Error) -> bool {
    true
}

// `count` cannot return an error: only its timed-out attempts are retried, so there is
// nothing for `retry_if` to look at.
#[node(timeout = "1s", retry(max = 3, retry_if = always))]
async fn count(items: Vec<u32>) -> usize {
    items.len()
}

workflow! {
    struct Counted {
        input items: Vec<u32>,
        n = count(items),
    }
}

fn main() {}
