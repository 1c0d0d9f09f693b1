// Python's unpacking in a port: `summary(**st)` (keyword arguments from a dict) is said
// as the spread it means, and `total(items: *p.items)` (or Rust's dereference) says to
// remove the `*`. Both were "a port connects to a source, not an expression" (mistakes43).
use workflow_core::prelude::*;

#[derive(Debug, Clone)]
pub struct Stats {
    pub sum: u32,
    pub n: usize,
}

#[node]
async fn stats(xs: Vec<u32>) -> Stats {
    Stats { sum: xs.iter().sum(), n: xs.len() }
}

#[node]
async fn summary(sum: u32, n: usize) -> String {
    format!("{sum}/{n}")
}

#[node]
async fn total(items: Vec<u32>) -> u32 {
    items.iter().sum()
}

workflow! {
    struct Report {
        input xs: Vec<u32>,
        st = stats(xs),
        r = summary(**st),
    }
}

workflow! {
    struct Sum {
        input xs: Vec<u32>,
        s = total(items: *xs),
    }
}

fn main() {}
