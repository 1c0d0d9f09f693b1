use workflow_core::prelude::*;

#[node]
async fn double(x: u32) -> u32 {
    x * 2
}

#[node]
async fn is_big(x: u32) -> bool {
    x > 10
}

workflow! {
    struct Doubles {
        input xs: Vec<u32>,
        doubled = for x in xs {
            big = is_big(x),
            if big {
                d = double(x),
            } else {
                d = double(x),
            }
        } => d,
    }
}

fn main() {}
