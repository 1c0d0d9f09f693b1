//! A binding of one arm, used with `?` (an `Option`), connected to a port that takes
//! the plain type: one error at the source, whose note says to take `Option<..>` or to
//! bind it in every arm.
use workflow_core::prelude::*;

#[node]
async fn check(x: u32) -> bool {
    x > 1
}

#[node]
async fn double(x: u32) -> u32 {
    x * 2
}

workflow! {
    struct Maybe {
        input x: u32,
        big = check(x),
        if big {
            d = double(x),
        }
        e = double(x: d?),
    }
}

fn main() {}
