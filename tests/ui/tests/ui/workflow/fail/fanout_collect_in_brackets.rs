//! `=> [d]`, a list written around what a fan-out collects: one error at the brackets
//! (the fan-out makes the `Vec` itself), and `d` still collected; it was "expected the
//! body binding to collect after `=>`".
use workflow_core::prelude::*;

#[node]
async fn double(n: u32) -> u32 {
    n * 2
}

workflow! {
    struct W {
        input ns: Vec<u32>,
        ds = for n in ns { d = double(n), } => [d],
    }
}

fn main() {}
