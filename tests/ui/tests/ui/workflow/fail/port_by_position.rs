//! `double(0: n)`, a port named by its position: one error saying ports are named after
//! the fn's parameters, naming the one in that position (was "a port connects to a
//! source, not a value", about the `0`).
use workflow_core::prelude::*;

#[node]
async fn add(a: u32, b: u32) -> u32 {
    a + b
}

workflow! {
    struct Sum {
        input x: u32,
        input y: u32,
        s = add(a: x, 1: y),
    }
}

fn main() {}
