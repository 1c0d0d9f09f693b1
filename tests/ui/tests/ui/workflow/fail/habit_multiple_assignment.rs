// `total, n = sum(xs), count(xs)` (Python's and Go's multiple assignment): one error
// saying to bind each node on its own, and both bindings kept, so `report` finds them
// and the output struct has `report`. It was two errors: "expected `=` after `total`"
// and "give this node call a name" at `count` (mistakes43).
use workflow_core::prelude::*;

#[node]
async fn sum(xs: Vec<u32>) -> u32 {
    xs.iter().sum()
}

#[node]
async fn count(xs: Vec<u32>) -> usize {
    xs.len()
}

#[node]
async fn report(total: u32, n: usize) -> String {
    format!("{total}/{n}")
}

workflow! {
    struct Stats {
        input xs: Vec<u32>,
        total, n = sum(xs), count(xs),
        r = report(total, n),
    }
}

fn main() {
    let out = StatsOutput { r: String::new() };
    let _ = out.r;
}
