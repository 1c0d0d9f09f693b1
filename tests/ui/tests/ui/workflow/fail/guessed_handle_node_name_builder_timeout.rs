// Three names a new user guessed (trial38/39): `.handle()` on a run's future (to cancel
// the run), `err.node_name()` for `err.node()`, and `Runtime::builder().timeout(..)` for
// a run's limit. One error each saying what to write (each was rustc's "no method named
// .. found" with no hint); `.build()` after `timeout` and the `Option` that `node_name`
// returns add no second error.
use std::time::Duration;
use workflow_core::prelude::*;

#[node]
async fn double(x: u32) -> u32 {
    x * 2
}

workflow! {
    struct Twice {
        input x: u32,
        y = double(x),
    }
}

#[tokio::main]
async fn main() {
    let rt = Runtime::builder().timeout(Duration::from_secs(1)).build();
    let run = rt.execute(Twice, TwiceInput { x: 1 });
    run.handle();
    let err = rt.execute(Twice, TwiceInput { x: 2 }).await.unwrap_err();
    let name: &str = err.node_name().unwrap_or("?");
    println!("{name}");
}
