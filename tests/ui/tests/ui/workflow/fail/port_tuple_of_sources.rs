use workflow_core::prelude::*;

#[node]
async fn sum(pair: (u32, u32)) -> u32 {
    pair.0 + pair.1
}

workflow! {
    struct Adder {
        input a: u32,
        input b: u32,
        s = sum(pair: (a, b)),
    }
}

fn main() {}
