// `after: s` to order a node after another that passes it nothing: there is no such
// port, and ordering comes from data alone; the error says how to write it.
use workflow_core::prelude::*;

#[node]
async fn migrate() {}

#[node]
async fn double(x: u32) -> u32 {
    x * 2
}

workflow! {
    struct W {
        input x: u32,
        s = migrate(),
        d = double(x, after: s),
    }
}

fn main() {}
