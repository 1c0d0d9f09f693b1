//! A list literal (`[1, 2, 3]`, as in Python) or `None` where a source goes: one error
//! each, saying to declare an input, like a number. They were "expected a source" (no
//! hint) and "unknown source `None` .. not a type; if `n` is a `Res<None>` ..". A
//! closure or Python's `lambda` there: one error saying to compute it in a node (the
//! `lambda` was "missing `,` before this port connection").
use workflow_core::prelude::*;

#[node]
async fn total(items: Vec<u32>) -> u32 {
    items.iter().sum()
}

#[node]
async fn describe(n: Option<u32>) -> String {
    format!("{n:?}")
}

workflow! {
    struct Values {
        t = total(items: [1, 2, 3]),
        d = describe(n: None),
        e = describe(n: lambda x: x),
        f = describe(n: |x| x),
    }
}

fn main() {}
