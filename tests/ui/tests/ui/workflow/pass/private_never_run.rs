//! A private workflow that is declared but never run adds no `dead_code` warning: its
//! input and output structs are part of its declaration, like the struct itself.
#![deny(dead_code)]
use workflow_core::prelude::*;

#[node]
async fn inc(x: u32) -> u32 {
    x + 1
}

workflow! {
    struct Twice {
        input x: u32,
        a = inc(x),
        b = inc(x: a),
    }
}

fn main() {}
