//! `return d;`, a workflow written as a Rust fn body: one error saying which bindings are
//! outputs (was a keyword-as-name error, and a second one at the `;`).
use workflow_core::prelude::*;

#[node]
async fn double(n: u32) -> u32 {
    n * 2
}

#[node]
async fn show(n: u32) -> String {
    n.to_string()
}

workflow! {
    struct Twice {
        input n: u32,
        d = double(n),
        s = show(n: d),
        return s;
    }
}

fn main() {}
