//! A `dyn` with `+ Send` (and `+ Sync` in an `Arc`) is a port and an output like any
//! other: the check of `node/fail/dyn_port_without_send.rs` leaves it alone.
use std::sync::Arc;

use workflow_core::prelude::*;

#[node]
async fn make(n: u32) -> Box<dyn Fn(u32) -> u32 + Send> {
    Box::new(move |x| x + n)
}

#[node]
async fn apply(f: Box<dyn Fn(u32) -> u32 + Send>, n: u32) -> u32 {
    f(n)
}

#[node]
async fn label(n: u32) -> Arc<dyn std::fmt::Display + Send + Sync> {
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

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let run = Runtime::new().execute(Adder, AdderInput { n: 2 }).await.unwrap();
    assert_eq!(run.outputs.a, 4);
    assert_eq!(run.outputs.l.to_string(), "2");
}
