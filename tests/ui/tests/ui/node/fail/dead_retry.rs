//! A `retry(..)` on a node that cannot fail is dead configuration: rejected, naming it.
use workflow_core::prelude::*;

#[node(retry(max = 3))]
async fn double(x: u32) -> u32 {
    x * 2
}

#[node(timeout = "1s", retry(max = 3, retry_timeouts = false))]
async fn triple(x: u32) -> u32 {
    x * 3
}

// Live: a timed-out attempt is retried.
#[node(timeout = "1s", retry(max = 3))]
async fn quadruple(x: u32) -> u32 {
    x * 4
}

workflow! {
    struct Math {
        input x: u32,
        d = double(x),
        t = triple(x),
        q = quadruple(x),
    }
}

fn main() {
    let _ = |run: Run<MathOutput>| (run.outputs.d, run.outputs.t, run.outputs.q);
}
