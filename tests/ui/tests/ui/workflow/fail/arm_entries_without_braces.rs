// `Pattern => p = node_fn(..),` in every arm: one error, at the first arm's entry; the
// arms are read as braced, so `p` keeps its field and `run.outputs.p` adds nothing.
use workflow_core::prelude::*;

#[derive(Debug, Clone)]
pub enum Size {
    Small(u32),
    Large(u32),
}

#[node]
async fn measure(x: u32) -> Size {
    if x < 10 { Size::Small(x) } else { Size::Large(x) }
}

#[node]
async fn cheap(x: u32) -> u32 {
    x
}

#[node]
async fn costly(x: u32) -> u32 {
    x * 100
}

workflow! {
    struct Price {
        input x: u32,
        size = measure(x),
        match size {
            Size::Small(n) => p = cheap(x: n),
            Size::Large(n) => p = costly(x: n),
        }
    }
}

fn main() {
    let _ = |run: Run<PriceOutput>| run.outputs.p;
}
