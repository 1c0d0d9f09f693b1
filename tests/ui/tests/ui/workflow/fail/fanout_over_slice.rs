// A fan-out over a `&'static [u32]` input feeds `&u32` items to a `u32` port: one
// error at the list naming both types. (rustc adds its own "consider borrowing" help,
// which does not apply: take a `Vec<u32>` input, or `x: &'static u32` in the node.)
use workflow_core::prelude::*;

#[node]
async fn double(x: u32) -> u32 {
    x * 2
}

workflow! {
    struct W {
        input xs: &'static [u32],
        ys = for x in xs {
            y = double(x),
        } => y,
    }
}

fn main() {}
