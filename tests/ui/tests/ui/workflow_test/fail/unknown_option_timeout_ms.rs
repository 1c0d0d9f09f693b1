//! `#[workflow_test(timeout_ms = 500)]`: one error that shows `timeout = ".."`.
use workflow_test::prelude::*;

#[workflow_test(timeout_ms = 500)]
async fn t(h: Harness) {
    let _ = h;
}

fn main() {}
