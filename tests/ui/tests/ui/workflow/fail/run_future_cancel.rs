// `.cancel()` (Temporal's handle) or `.abort()` (tokio's `JoinHandle`) on a run's future:
// one error each saying a run is cancelled by dropping its future, or by a token (was
// rustc's "no method named `cancel` found for struct `RunFuture`").
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
    let rt = Runtime::new();
    let run = rt.execute(Twice, TwiceInput { x: 1 });
    run.cancel();
    let other = rt.execute(Twice, TwiceInput { x: 2 });
    other.abort();
}
