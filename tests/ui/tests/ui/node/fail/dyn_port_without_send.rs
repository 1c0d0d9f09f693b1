//! A `dyn` of std traits without `+ Send` as a port or output: one error at the `dyn`
//! saying the bounds to add (`+ Send` in a `Box`, `+ Send + Sync` in an `Arc`). Before,
//! rustc's E0277 said it cannot be sent, with notes in the generated code. A workflow
//! wiring the two adds nothing. (`Box<dyn Fn(u32) -> u32 + Send>` compiles and runs:
//! `node/pass/dyn_port_with_send.rs`.)
use std::sync::Arc;

use workflow_core::prelude::*;

#[node]
async fn make(n: u32) -> Box<dyn Fn(u32) -> u32> {
    Box::new(move |x| x + n)
}

#[node]
async fn apply(f: Box<dyn Fn(u32) -> u32>, n: u32) -> u32 {
    f(n)
}

#[node]
async fn label(n: u32) -> Arc<dyn std::fmt::Display> {
    Arc::new(n)
}

workflow! {
    struct Adder {
        input n: u32,
        m = make(n),
        a = apply(f: m, n),
        l = label(n),
    }
}

fn main() {}
