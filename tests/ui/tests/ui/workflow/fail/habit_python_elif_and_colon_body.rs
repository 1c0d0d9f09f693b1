//! Python's `elif` in an `if` chain and a `for` body after `:`: one error each, saying
//! what Rust writes. `elif` was "expected `=` after `elif`" plus "unexpected token"; the
//! colon body was "a fan-out runs over an input or a whole binding, not an expression".
use workflow_core::prelude::*;

#[node]
async fn double(n: u32) -> u32 {
    n * 2
}

#[node]
async fn is_big(n: u32) -> bool {
    n > 10
}

#[node]
async fn is_huge(n: u32) -> bool {
    n > 1000
}

workflow! {
    struct Route {
        input n: u32,
        big = is_big(n),
        huge = is_huge(n),
        if huge { d = double(n), } elif big { d = double(n), } else { d = double(n), }
    }
}

workflow! {
    struct Each {
        input xs: Vec<u32>,
        ys = for x in xs: y = double(n: x),
    }
}

fn main() {
    let _ = |run: Run<RouteOutput>| run.outputs.d;
}
