// `summary(..stats)` (Rust's struct update, JavaScript's `...spread`) to connect a
// struct's fields to the ports of the same names (mistakes42): one error saying to
// connect each port to a field. It was "expected a source".
use workflow_core::prelude::*;

#[derive(Debug, Clone)]
pub struct Stats {
    pub sum: u32,
    pub n: usize,
}

#[node]
async fn stats(url: String) -> Stats {
    Stats { sum: url.len() as u32, n: 1 }
}

#[node]
async fn summary(sum: u32, n: usize) -> String {
    format!("{sum}/{n}")
}

workflow! {
    struct W {
        input url: String,
        st = stats(url),
        r = summary(..st),
    }
}

fn main() {}
