use workflow_core::prelude::*;

#[node]
async fn check(n: u32) -> bool {
    n > 10
}

#[node]
async fn small(n: u32) -> String {
    format!("small {n}")
}

#[node]
async fn big(n: u32) -> String {
    format!("big {n}")
}

workflow! {
    struct Sizes {
        input n: u32,
        ok = check(n),
        if !ok {
            label = small(n),
        } else {
            label = big(n),
        }
    }
}

fn main() {}
