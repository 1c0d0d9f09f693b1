// `for x in xs` beside `input x`: inside the body `x` is the item, so the input is
// unused; the error says that the item hides it.
use workflow_core::prelude::*;

#[node]
async fn inc(x: u32) -> u32 {
    x + 1
}

workflow! {
    struct Shift {
        input xs: Vec<u32>,
        input x: u32,
        ys = for x in xs {
            y = inc(x),
        } => y,
    }
}

fn main() {}
