// A fan-out over an expression (`0..n`, the `for` loop habit) is one error at the whole
// expression, saying to make the list in a node; its tokens were read as a source
// before ("a port connects to a source, not a value", then "expected the list").
use workflow_core::prelude::*;

#[node]
async fn double(x: u32) -> u32 {
    x * 2
}

workflow! {
    struct Doubles {
        input n: u32,
        ys = for x in 0..n {
            d = double(x),
        } => d,
    }
}

fn main() {}
