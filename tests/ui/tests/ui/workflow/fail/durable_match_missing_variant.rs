// A durable workflow routes in its cell table and in its node-by-node driver through
// one route fn, so a variant missing from the `match` is one error (not one shown and
// two counted).
use workflow_core::prelude::*;

#[node]
async fn small(n: u32) -> Option<u32> {
    (n < 10).then_some(n)
}

#[node]
async fn cheap(n: u32) -> String {
    format!("cheap {n}")
}

workflow! {
    #[workflow(durable)]
    struct Price {
        input n: u32,
        s = small(n),
        match s {
            Some(x) => { label = cheap(n: x), }
        }
    }
}

fn main() {}
