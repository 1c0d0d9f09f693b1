// `for i in items?`, where `items` is bound in one arm only: a fan-out runs over a list,
// not an `Option`. One error at the `?`, not "write `items?`" (which it is).
use workflow_core::prelude::*;

#[node]
async fn is_big(n: u32) -> bool {
    n > 10
}

#[node]
async fn list(n: u32) -> Vec<u32> {
    (0..n).collect()
}

#[node]
async fn square(i: u32) -> u32 {
    i * i
}

workflow! {
    struct Maybe {
        input n: u32,
        big = is_big(n),
        if big {
            items = list(n),
        }
        squares = for i in items? { s = square(i), } => s,
    }
}

fn main() {}
