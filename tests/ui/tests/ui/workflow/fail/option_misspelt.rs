//! A misspelt `#[workflow]` option or binding attribute says which one was meant, and
//! the workflow keeps its node (nothing more is reported).
use workflow_core::prelude::*;

#[node]
async fn inc(x: u32) -> u32 {
    x + 1
}

workflow! {
    #[workflow(timout = "1s")]
    struct Twice {
        input x: u32,
        #[ouput]
        a = inc(x),
        b = inc(x: a),
    }
}

fn main() {}
