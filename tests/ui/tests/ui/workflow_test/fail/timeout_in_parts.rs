//! A duration in parts (`"1m30s"`): one error giving it in one unit (it said "unknown
//! duration unit `m30s`").
use workflow_test::prelude::*;

#[workflow_test(timeout = "1m30s", deadlock = "1s500ms")]
async fn etl_runs(h: Harness) {
    let _ = h;
}

fn main() {}
