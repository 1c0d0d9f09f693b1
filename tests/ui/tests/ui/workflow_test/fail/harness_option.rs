//! `#[workflow_test(harness = Harness::builder()..)]`, a fixture passed as an option:
//! one error at `harness`, saying to build such a harness in the body and take no
//! parameter (before, only the list of options).
use workflow_test::prelude::*;

#[workflow_test(harness = Harness::builder().trace(true))]
async fn traced(h: Harness) {
    let _ = h;
}

fn main() {}
