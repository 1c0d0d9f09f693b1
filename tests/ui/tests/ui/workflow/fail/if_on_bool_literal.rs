//! `else if true { .. }`: one error saying `if` routes on a binding, not a constant (was
//! "unknown source `true`" with a hint to declare `input true: Type`).
use workflow_core::prelude::*;

#[node]
async fn big(n: u32) -> bool {
    n > 10
}

#[node]
async fn double(n: u32) -> u32 {
    n * 2
}

#[node]
async fn show(n: u32) -> String {
    n.to_string()
}

workflow! {
    struct Route {
        input n: u32,
        b = big(n),
        if b {
            x = double(n),
        } else if true {
            y = show(n),
        }
    }
}

fn main() {}
