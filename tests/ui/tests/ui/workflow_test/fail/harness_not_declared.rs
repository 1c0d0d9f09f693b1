//! A body that uses `h` without taking the harness: one error at the parameter list,
//! saying to declare `h: Harness` (not rustc's "cannot find value `h`" at each use).
use workflow_test::prelude::*;

#[node]
async fn inc(x: u32) -> u32 {
    x + 1
}

workflow! {
    struct Once {
        input x: u32,
        n = inc(x),
    }
}

#[workflow_test]
async fn runs_once() {
    let run = h.assert_success(h.execute(Once, OnceInput { x: 1 }).await);
    assert_eq!(run.outputs.n, 2);
    h.assert_executed("n", 1);
}

fn main() {}
