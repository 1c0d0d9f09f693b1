use workflow_core::prelude::*;

// Two parameters of one name: rustc's E0415 at the second is the only error.
#[node]
async fn area(side: u32, side: u32) -> u32 {
    side * side
}

fn main() {}
