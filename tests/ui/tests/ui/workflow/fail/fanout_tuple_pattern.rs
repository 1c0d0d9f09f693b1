use workflow_core::prelude::*;

#[node]
async fn double(x: u32) -> u32 {
    x * 2
}

workflow! {
    struct Doubles {
        input xs: Vec<u32>,
        doubled = for (i, x) in xs.iter().enumerate() {
            d = double(x),
        } => d,
    }
}

fn main() {}
