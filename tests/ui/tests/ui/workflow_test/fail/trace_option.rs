// `#[workflow_test(trace = true)]`: traces are the harness's; the error says to call
// `h.set_trace(true)` (or build a harness with `.trace(true)`).
use workflow_test::prelude::*;

#[node]
async fn one() -> u32 {
    1
}

workflow! {
    struct One {
        n = one(),
    }
}

#[workflow_test(trace = true)]
async fn traced(h: Harness) {
    h.assert_success(h.execute(One, OneInput {}).await);
}

fn main() {}
