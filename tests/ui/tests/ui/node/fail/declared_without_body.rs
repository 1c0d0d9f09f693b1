// `async fn fetch(url: String) -> usize;` (a node declared as an activity interface or a
// trait declares its methods, mistakes45): one error at the `;` saying to write the body;
// was ours ("goes on an `async fn`") and rustc's "free function without a body", and
// "cannot find macro `fetch`" in the workflow calling it.
use workflow_core::prelude::*;

#[node(timeout = "5s")]
async fn fetch(url: String) -> usize;

workflow! {
    struct Pipeline {
        input url: String,
        size = fetch(url),
    }
}

fn main() {}
