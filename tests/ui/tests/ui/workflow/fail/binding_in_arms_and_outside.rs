// `total` bound before the `if` as a default, and again in both arms: one mistake, one
// error (at the first arm's definition), saying that the arms' definitions already
// make the one value after the decision.
use workflow_core::prelude::*;

#[node]
async fn is_big(x: u32) -> bool {
    x > 1
}

#[node]
async fn zero() -> u32 {
    0
}

#[node]
async fn double(x: u32) -> u32 {
    x * 2
}

workflow! {
    struct Total {
        input seed: u32,
        big = is_big(x: seed),
        total = zero(),
        if big {
            total = double(x: seed),
        } else {
            total = zero(),
        }
    }
}

fn main() {}
