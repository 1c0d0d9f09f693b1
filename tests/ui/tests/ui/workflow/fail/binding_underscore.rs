//! `_ = log(x)` (the `let _ = ..` habit, for a node run for its effect): one error
//! saying every node needs a name.
use workflow_core::prelude::*;

#[node]
async fn log(line: String) {
    println!("{line}");
}

workflow! {
    pub struct Audit {
        input line: String,
        _ = log(line),
    }
}

fn main() {}
