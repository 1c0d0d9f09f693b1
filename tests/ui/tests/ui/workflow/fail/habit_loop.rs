//! `while n { .. }` (or `loop { .. }`): one error saying a workflow runs each node once,
//! with the fan-out and a retry or loop in a node instead (was "`while` is a Rust
//! keyword and cannot name an input or binding").
use workflow_core::prelude::*;

#[node]
async fn poll(job: u64) -> bool {
    job > 3
}

workflow! {
    struct Wait {
        input job: u64,
        while job {
            done = poll(job),
        }
    }
}

fn main() {}
