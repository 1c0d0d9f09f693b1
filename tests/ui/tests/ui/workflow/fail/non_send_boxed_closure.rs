//! A boxed closure without `+ Send` passed between nodes: one error at each
//! signature naming it and the `+ Send` to add (it was rustc's E0277 with notes in
//! `__private::must_be_send`), none from the workflow.
use workflow_core::prelude::*;

#[node]
async fn make(n: u32) -> Box<dyn Fn() -> u32> {
    Box::new(move || n)
}

#[node]
async fn call(f: Box<dyn Fn() -> u32>) -> u32 {
    f()
}

workflow! {
    struct W {
        input n: u32,
        f = make(n),
        out = call(f),
    }
}

fn main() {}
