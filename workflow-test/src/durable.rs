//! Assertions about durable runs ([`Runtime::start_durable`](workflow_core::Runtime::start_durable),
//! `resume`, `recover`).

use workflow_core::{DurableRun, NodeStatus};

/// Asserts that exactly the nodes `expected` (in any order) were restored from the store
/// in this execution of a durable run, and every other node ran or was skipped.
///
/// A run cut while `parse` waits, then started again with the same key: `fetch` is
/// restored, `parse` runs.
///
/// ```
/// use std::time::Duration;
/// use tokio::sync::Semaphore;
/// use workflow_core::store::MemoryStore;
/// use workflow_test::prelude::*;
///
/// #[node]
/// async fn download(url: String) -> String { format!("<{url}>") }
///
/// #[node]
/// async fn count(page: String, gate: Res<Semaphore>) -> usize {
///     let _open = gate.acquire().await.unwrap();
///     page.len()
/// }
///
/// workflow! {
///     #[workflow(durable)]
///     struct Etl {
///         input url: String,
///         fetch = download(url),
///         parse = count(page: fetch),
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let rt = Runtime::builder()
///     .store(MemoryStore::new())
///     .resource(Semaphore::new(0)) // closed: `parse` waits
///     .build();
/// let input = || EtlInput { url: "a.b".into() };
/// let cut = tokio::time::timeout(Duration::from_millis(50), rt.start_durable(Etl, input(), Some("etl-1")));
/// assert!(cut.await.is_err()); // dropped mid-run, as if the process died
///
/// rt.resource::<Semaphore>().unwrap().add_permits(1);
/// let run = rt.start_durable(Etl, input(), Some("etl-1")).await.unwrap();
/// assert_eq!(run.outputs.parse, 5);
/// workflow_test::assert_restored(&run, &["fetch"]);
/// # }
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
