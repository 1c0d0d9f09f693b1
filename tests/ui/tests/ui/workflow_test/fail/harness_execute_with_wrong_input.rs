//! `h.execute_with` given a value instead of the workflow's input struct: one error, at
//! the value, naming the input struct.
use workflow_test::prelude::*;

#[node]
async fn double(x: u32) -> u32 {
    x * 2
}

workflow! {
    struct Twice {
        input x: u32,
        y = double(x),
    }
}

#[workflow_test]
async fn wrong_input(h: Harness) {
    let _ = h.execute_with(Twice, 1u32, RunOptions::new()).await;
}

fn main() {}
