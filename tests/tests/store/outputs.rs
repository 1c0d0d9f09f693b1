//! `Runtime::outputs`: a succeeded durable run's outputs read back by its id, in every
//! store, without running anything; and what it says of a run that has none. Before, a
//! run found by its id (from `list_runs` or `on_durable_run_end`) had no typed way back
//! to its outputs: `resume` refused it as finished, and only a start with its
//! idempotency key read them (trial45).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;

use workflow_core::prelude::*;
use workflow_core::store::{RunFilter, RunStatus, Store, StoreError};

use crate::support::{postgres_url, TempDir};

static CALLS: AtomicUsize = AtomicUsize::new(0);
static FAIL: AtomicBool = AtomicBool::new(false);
/// `CALLS` and `FAIL` are shared: the two cases that run nodes take turns.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[derive(Debug, thiserror::Error)]
#[error("refused {0}")]
struct Refused(u32);

#[node]
async fn count(n: u32) -> Vec<u32> {
    CALLS.fetch_add(1, SeqCst);
    (0..n).collect()
}

#[node]
async fn total(xs: Vec<u32>) -> Result<u64, Refused> {
    CALLS.fetch_add(1, SeqCst);
    if FAIL.load(SeqCst) {
        return Err(Refused(xs.len() as u32));
    }
    Ok(xs.iter().map(|&x| u64::from(x)).sum())
}

workflow! {
    #[workflow(durable)]
    struct Sums {
        input n: u32,
        #[output]
        xs = count(n),
        t = total(xs),
    }
}

workflow! {
    #[workflow(durable)]
    struct Other {
        input n: u32,
        xs = count(n),
    }
}

async fn stores(dir: &TempDir) -> Vec<(&'static str, Arc<dyn Store>)> {
    let mut stores: Vec<(&'static str, Arc<dyn Store>)> = vec![
        ("memory", Arc::new(MemoryStore::new())),
        (
            "sqlite",
            Arc::new(SqliteStore::open(dir.file("outputs.db")).unwrap()),
        ),
    ];
    if let Some(url) = postgres_url("`Runtime::outputs`") {
        use workflow_core::store::PostgresStore;
        PostgresStore::drop_schema(&url, "outputs").await.unwrap();
        let store = PostgresStore::builder(&url)
            .schema("outputs")
            .connect()
            .await
            .unwrap();
        stores.push(("postgres", Arc::new(store)));
    }
    stores
}

fn store_error(err: &WorkflowError) -> &StoreError {
    err.downcast_ref::<StoreError>()
        .unwrap_or_else(|| panic!("expected a StoreError inside: {err}"))
}

#[tokio::test]
async fn a_succeeded_runs_outputs_are_read_back_by_its_id_and_nothing_runs() {
    let _turn = SERIAL.lock().await;
    let dir = TempDir::new("outputs");
    for (kind, store) in stores(&dir).await {
        FAIL.store(false, SeqCst);
        let rt = Runtime::builder().store_arc(Arc::clone(&store)).build();
        let run = rt
            .start_durable(Sums, SumsInput { n: 5 }, None)
            .await
            .unwrap();
        let calls = CALLS.load(SeqCst);
        let outputs = rt.outputs(Sums, run.run_id).await.unwrap();
        assert_eq!(outputs, run.outputs, "{kind}");
        assert_eq!((outputs.t, outputs.xs.len()), (10, 5), "{kind}");
        assert_eq!(CALLS.load(SeqCst), calls, "{kind}: nothing ran");
        // Another runtime on the same store (another owner) reads them too.
        let other = Runtime::builder().store_arc(Arc::clone(&store)).build();
        assert_eq!(
            other.outputs(Sums, run.run_id).await.unwrap().t,
            10,
            "{kind}"
        );

        // `resume` still refuses the finished run, and now says where its outputs are.
        let err = rt.resume(Sums, run.run_id).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "durable run {} of workflow `Sums`: already finished (succeeded); a finished \
                 run is not resumed: read its outputs with `Runtime::outputs`",
                run.run_id
            ),
            "{kind}"
        );
    }
}

#[tokio::test]
async fn a_run_without_outputs_is_refused_saying_why() {
    let _turn = SERIAL.lock().await;
    let dir = TempDir::new("no-outputs");
    for (kind, store) in stores(&dir).await {
        let rt = Runtime::builder().store_arc(Arc::clone(&store)).build();
        FAIL.store(true, SeqCst);
        let err = rt
            .start_durable(Sums, SumsInput { n: 3 }, None)
            .await
            .unwrap_err();
        assert!(err.downcast_ref::<Refused>().is_some(), "{kind}: {err}");
        let failed = store
            .list_runs(RunFilter {
                status: Some(RunStatus::Failed),
                ..RunFilter::default()
            })
            .await
            .unwrap()[0]
            .id;
        let err = rt.outputs(Sums, failed).await.unwrap_err();
        assert!(
            matches!(
                store_error(&err),
                StoreError::NotSucceeded {
                    status: RunStatus::Failed,
                    ..
                }
            ),
            "{kind}: {err}"
        );
        assert_eq!(
            err.to_string(),
            format!(
                "durable run {failed} of workflow `Sums`: has no outputs to read: it failed \
                 (run it again from where it failed with `Runtime::retry`)"
            ),
            "{kind}"
        );
        // Retried once the cause is gone: then it has outputs.
        FAIL.store(false, SeqCst);
        rt.retry(Sums, failed).await.unwrap();
        assert_eq!(rt.outputs(Sums, failed).await.unwrap().t, 3, "{kind}");

        // Another workflow's run, and a run the store does not have.
        let err = rt.outputs(Other, failed).await.unwrap_err();
        assert!(
            matches!(store_error(&err), StoreError::WrongWorkflow { .. }),
            "{kind}: {err}"
        );
        let err = rt.outputs(Sums, RunId(9_999)).await.unwrap_err();
        assert!(
            matches!(store_error(&err), StoreError::NotFound { .. }),
            "{kind}: {err}"
        );
    }
}

#[tokio::test]
async fn without_a_store_it_says_to_configure_one() {
    let err = Runtime::new().outputs(Sums, RunId(1)).await.unwrap_err();
    assert!(err.to_string().contains("no store configured"), "{err}");
}
