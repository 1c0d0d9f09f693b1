//! A builder's setting on a built `Runtime` (`Runtime::new().max_concurrent_nodes(4)`,
//! `rt.trace(true)`): one error each, saying to set it on `Runtime::builder()` before
//! `.build()` (it was rustc's "no method named `max_concurrent_nodes` found"). The
//! result is a `Runtime`, so the code using `rt` adds nothing.
use workflow_core::prelude::*;

#[node]
async fn inc(x: u32) -> u32 {
    x + 1
}

workflow! {
    struct Inc {
        input x: u32,
        y = inc(x),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let rt = Runtime::new().max_concurrent_nodes(4);
    let traced = Runtime::new().trace(true);
    let run = rt.execute(Inc, IncInput { x: 5 }).await.unwrap();
    println!("{} {}", run.outputs.y, traced.active_runs());
}
