//! `d?` on a binding that no `match` or `if` arm defines (Rust's `?` habit, in a
//! workflow without arms): one error saying it always has a value. It said "every arm
//! binds `d`", naming arms that are not there.
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
    struct W {
        input n: u32,
        d = double(n),
        s = show(n: d?),
    }
}

fn main() {}
