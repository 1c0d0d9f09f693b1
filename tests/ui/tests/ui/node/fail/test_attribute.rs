//! `#[test]` or `#[tokio::main]` under `#[node]`: one error each saying a node is run by
//! the workflows that call it (was rustc's "expected function, found struct `double`"
//! for `#[test]`, and "`u32` is not a future" for `#[tokio::main]`).
use workflow_core::prelude::*;

#[node]
#[test]
async fn double(n: u32) -> u32 {
    n * 2
}

#[node]
#[tokio::main]
async fn triple(n: u32) -> u32 {
    n * 3
}

workflow! {
    struct Math {
        input n: u32,
        d = double(n),
        t = triple(n: d),
    }
}

fn main() {}
