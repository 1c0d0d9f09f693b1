use workflow_core::prelude::*;

#[node]
async fn count(n: u32) -> u32 {
    n
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
        c = count(n),
        if c {
            label = small(n),
        } else {
            label = big(n),
        }
    }
}

fn main() {}
