use workflow_core::prelude::*;

#[node]
async fn small(n: u32) -> String {
    format!("small {n}")
}

#[node]
async fn big(n: u32, extra: u32) -> String {
    format!("big {n} {extra}")
}

workflow! {
    struct Sizes {
        input n: u32,
        input large: bool,
        if large {
            input extra: u32,
            label = big(n, extra),
        } else {
            label = small(n),
        }
    }
}

fn main() {}
