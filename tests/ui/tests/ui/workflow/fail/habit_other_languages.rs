//! Habits of other languages and of plain Rust, one per binding, each one error at its
//! tokens, with the rest of the binding still understood: `await fetch(..)` (a prefix
//! `await`), `double!(..)` (a macro call). `run.outputs` keeps every field.
use workflow_core::prelude::*;

#[node]
async fn double(x: u32) -> u32 {
    x * 2
}

workflow! {
    struct Habits {
        input x: u32,
        a = await double(x),
        b = double!(x),
    }
}

fn main() {
    let out = HabitsOutput { a: 0, b: 1 };
    println!("{out:?}");
}
