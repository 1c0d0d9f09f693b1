// `Harness::load` makes each run's input with a closure: a value is one error, at it.
use workflow_test::prelude::*;

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

#[workflow_test(start_paused = true)]
async fn under_load(h: Harness) {
    let report = h.load(Twice, 100, 10, TwiceInput { x: 1 }).await;
    assert_eq!(report.failed, 0);
}

fn main() {}
