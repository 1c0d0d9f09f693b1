//! A `,` opening `#[workflow_test(..)]`'s options: one error at it; `timeout` is read.
use workflow_test::prelude::*;

#[workflow_test(, timeout = "5s")]
async fn etl_runs(h: Harness) {
    let _ = h;
}

fn main() {}
