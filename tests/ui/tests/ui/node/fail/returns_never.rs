//! `-> !` on a node: one error at the `!`, saying what a node returns instead (it was
//! rustc's "the `!` type is experimental" inside the generated node). A workflow
//! calling it adds nothing: the node is a stand-in of an unknown output.
use workflow_core::prelude::*;

#[node]
async fn halt(n: u32) -> ! {
    panic!("stopped at {n}")
}

#[node]
async fn double(n: u32) -> u32 {
    n * 2
}

workflow! {
    struct Stop {
        input n: u32,
        h = halt(n),
        d = double(n),
    }
}

fn main() {}
