// tokio's `flavor` is a string; written as a bare word it is one error, and it still
// counts as that flavor, so `workers` next to it is not reported too.
use workflow_test::prelude::*;

#[workflow_test(flavor = multi_thread, workers = 2)]
async fn runs_on_two_workers(h: Harness) {
    let _ = h;
}

fn main() {}
