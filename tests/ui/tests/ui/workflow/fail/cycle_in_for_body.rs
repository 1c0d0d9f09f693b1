//! A cycle inside a `for` body is named by where it is (the body of `out` in workflow
//! `F`), not by the hidden workflow `workflow!` declares for the body (`__FEachOut`).
use workflow_core::prelude::*;

#[node]
async fn up(s: String) -> String {
    s.to_uppercase()
}

#[node]
async fn count(v: Vec<String>) -> usize {
    v.len()
}

workflow! {
    struct F {
        input words: Vec<String>,
        out = for w in words {
            a = up(s: b),
            b = up(s: a),
        } => a,
        n = count(v: out),
    }
}

fn main() {}
