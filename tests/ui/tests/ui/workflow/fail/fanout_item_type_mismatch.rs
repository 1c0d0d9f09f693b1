use workflow_core::prelude::*;

#[node]
async fn double(x: u32) -> u32 {
    x * 2
}

workflow! {
    struct Doubles {
        input xs: Vec<String>,
        doubled = for x in xs {
            d = double(x),
        } => d,
    }
}

fn main() {}
