// The `for` loop habit `xs.iter()` is one error, saying to remove the call; the body
// still parses, so nothing else is reported.
use workflow_core::prelude::*;

#[node]
async fn double(x: u32) -> u32 {
    x * 2
}

workflow! {
    struct Doubles {
        input xs: Vec<u32>,
        ys = for x in xs.iter().enumerate() {
            d = double(x),
        } => d,
    }
}

fn main() {}
