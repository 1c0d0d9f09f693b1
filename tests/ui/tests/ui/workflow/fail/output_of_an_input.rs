//! `#[output] n,` to output an input as it is: one error saying an input is not an
//! output and how to pass one through a node (was "expected `=` after `n`").
use workflow_core::prelude::*;

#[node]
async fn double(n: u32) -> u32 {
    n * 2
}

workflow! {
    struct Twice {
        input n: u32,
        d = double(n),
        #[output]
        n,
    }
}

fn main() {}
