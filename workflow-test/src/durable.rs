//! Assertions about durable runs ([`Runtime::start_durable`](workflow_core::Runtime::start_durable),
//! `resume`, `recover`).

use workflow_core::{DurableRun, NodeStatus};

/// Asserts that exactly the nodes `expected` (in any order) were restored from the store
/// in this execution of a durable run, and every other node ran or was skipped.
///
/// ```text
/// let run = rt.resume(Etl, run_id).await?;
/// workflow_test::assert_restored(&run, &["fetch", "parse"]);
/// ```
///
/// # Panics
///
/// When the sets differ, with every node's status; when the run has no report (its
/// outputs were read from the store, nothing ran).
#[track_caller]
pub fn assert_restored<O>(run: &DurableRun<O>, expected: &[&str]) {
    let Some(report) = &run.report else {
        panic!(
            "durable run {} did not execute here: its outputs were read from the store \
             (an earlier run with the same idempotency key), so nothing was restored",
            run.run_id
        );
    };
    let mut actual: Vec<&str> = report
        .with_status(NodeStatus::Restored)
        .map(|n| &*n.name)
        .collect();
    let mut wanted = expected.to_vec();
    actual.sort_unstable();
    wanted.sort_unstable();
    if actual != wanted {
        let statuses: Vec<String> = report
            .nodes
            .iter()
            .map(|n| format!("{} {}", n.name, n.status.as_str()))
            .collect();
        panic!(
            "durable run {}: expected restored nodes {wanted:?}, but restored {actual:?}\nnode statuses: {}",
            run.run_id,
            statuses.join(", ")
        );
    }
}
