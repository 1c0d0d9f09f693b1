use workflow_core::prelude::*;

#[node]
async fn double(x: u32) -> u32 {
    x * 2
}

workflow! {
    struct Doubles {
        input n: u32,
        doubled = for x in n {
            d = double(x),
        } => d,
    }
}

fn main() {}
