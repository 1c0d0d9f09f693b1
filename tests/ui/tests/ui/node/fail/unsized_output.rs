use workflow_core::prelude::*;

#[node]
async fn label(n: u32) -> dyn std::fmt::Display {
    n
}

#[node]
async fn show(n: u32) -> str {
    *n.to_string()
}

workflow! {
    struct Labels {
        input n: u32,
        l = label(n),
        s = show(n),
    }
}

fn main() {}
