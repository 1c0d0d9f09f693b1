//! Durable runs started on a `Harness`'s runtime are recorded by the harness when they
//! end, or when they are cut (their future dropped), as `Harness::execute`'s runs are:
//! counts (a restored node counts no call), runs, failures and the last trace.

use std::time::Duration;

use tokio::sync::Semaphore;
use workflow_core::prelude::*;
use workflow_core::store::MemoryStore;
use workflow_core::NodeStatus;
use workflow_test::{assert_restored, workflow_test, Harness};

#[derive(Debug, thiserror::Error)]
#[error("ledger closed")]
struct Closed;

#[node]
async fn read_row(id: u32) -> u32 {
    id * 10
}

#[node]
async fn post(row: u32, gate: Res<Semaphore>) -> Result<u32, Closed> {
    let _open = gate.acquire().await.map_err(|_| Closed)?;
    if row == 0 {
        return Err(Closed);
    }
    Ok(row + 1)
}

workflow! {
    #[workflow(durable)]
    struct Ledger {
        input id: u32,
        row = read_row(id),
        posted = post(row),
    }
}

#[workflow_test(timeout = "5s", start_paused = true)]
async fn the_harness_records_durable_runs_that_end() {
    let h = Harness::builder()
        .store(MemoryStore::new())
        .resource(Semaphore::new(0)) // closed: `posted` waits
        .build();
    let rt = h.runtime();

    // Cut mid-run, as a crash would: recorded with what ran, `posted` cancelled.
    let cut = tokio::time::timeout(
        Duration::from_millis(20),
        rt.start_durable(Ledger, LedgerInput { id: 4 }, Some("l-4")),
    );
    assert!(cut.await.is_err());
    assert_eq!((h.run_count(), h.failure_count()), (1, 1));
    h.assert_executed("row", 1);
    h.assert_executed("posted", 1);
    let cut = h.last_run().unwrap();
    assert_eq!(cut.node("posted").unwrap().status, NodeStatus::Cancelled);
    assert!(cut.report().durable_run.is_some(), "{cut:?}");
    assert!(cut.error().unwrap().contains("`posted` running"), "{cut:?}");

    // Resumed with the same key: `row` restored, `posted` runs.
    h.resource::<Semaphore>().unwrap().add_permits(10);
    let run = rt
        .start_durable(Ledger, LedgerInput { id: 4 }, Some("l-4"))
        .await
        .unwrap();
    assert_eq!(run.outputs.posted, 41);
    assert_restored(&run, &["row"]);
    assert_eq!((h.run_count(), h.failure_count()), (2, 1));
    h.assert_executed("posted", 2); // cut once, then run to its end
    h.assert_executed("row", 1); // not run again: restored
    assert_eq!(h.last_trace().unwrap().attempts("posted"), 1);

    // The same key again reads the outputs back: nothing ran, nothing is recorded.
    rt.start_durable(Ledger, LedgerInput { id: 4 }, Some("l-4"))
        .await
        .unwrap();
    assert_eq!(h.run_count(), 2);

    // A failed durable run is recorded with its error.
    let err = rt
        .start_durable(Ledger, LedgerInput { id: 0 }, None)
        .await
        .unwrap_err();
    assert_eq!(err.node(), Some("posted"));
    assert_eq!((h.run_count(), h.failure_count()), (3, 2));
    h.assert_executed("row", 2);
    h.assert_executed("Ledger::posted", 3);
    let last = h.last_run().unwrap();
    // Numbered in the order runs started: the cut run was run 1, the resumed one run 2.
    assert_eq!(last.number(), 3);
    assert!(last.error().unwrap().contains("ledger closed"), "{last:?}");
}

#[node]
async fn cube(x: u32) -> u32 {
    x * x * x
}

workflow! {
    #[workflow(durable)]
    struct DurableCubes {
        input xs: Vec<u32>,
        cubes = for x in xs {
            c = cube(x),
        } => c,
    }
}

/// A durable run through the harness (`h.runtime().start_durable`, `resume`) makes its
/// workflow's node names known, as `h.execute` does: the body of a fan-out over an empty
/// list ran no item, so its binding and fn are in no report, yet counting them is 0 and
/// asserting them not executed passes, where a misspelling still fails with the likely
/// name (of a node that ran). Before, only `h.execute*` noted the workflow's plan: `assert_not_executed("c")`
/// failed "no run of this harness has a node called `c`".
#[workflow_test(timeout = "10s", start_paused = true)]
async fn a_durable_run_makes_its_node_names_known() {
    let h = Harness::builder().store(MemoryStore::new()).build();
    let rt = h.runtime();
    let run = rt
        .start_durable(DurableCubes, DurableCubesInput { xs: vec![] }, None)
        .await
        .unwrap();
    assert!(run.outputs.cubes.is_empty());
    assert_eq!(h.execution_count("c"), 0);
    assert_eq!(h.execution_count("cube"), 0);
    h.assert_not_executed("c");
    h.assert_not_executed("cube");
    let typo = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        h.assert_not_executed("cubse");
    }))
    .expect_err("a misspelling must fail");
    let message = typo
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| typo.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default();
    assert!(
        message.contains("no run of this harness has a node called `cubse`")
            && message.contains("did you mean `cubes`?"),
        "{message}"
    );
}
