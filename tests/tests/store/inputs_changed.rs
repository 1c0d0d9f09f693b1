//! A durable run resumed by code whose workflow has an input more or an input less than
//! when the run started is refused naming the inputs, as a changed input type is
//! (`durable.rs`: `a_changed_graph_reruns_changed_nodes_and_refuses_changed_inputs`).
//! Before, the recorded input failed to decode first: "cannot decode input of run 1 as
//! `a list of values`: expected 2 values, found 1", which names no input (trial31).

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use workflow_core::prelude::*;
use workflow_core::store::{MemoryStore, RunId, Store};

use crate::support::memory_runtime;

/// Calls of `first`, per runtime.
#[derive(Default)]
struct Calls(AtomicUsize);

#[node]
async fn first(n: u32, calls: Res<Calls>) -> u32 {
    calls.0.fetch_add(1, SeqCst);
    n
}

#[node]
async fn stuck(a: u32) -> u32 {
    std::future::pending::<()>().await;
    a
}

#[node]
async fn add(a: u32, m: u32) -> u32 {
    a + m
}

mod one_input {
    use super::*;
    workflow! {
        #[workflow(durable)]
        pub(super) struct Tally {
            input n: u32,
            a = first(n),
            b = stuck(a),
        }
    }
}

mod two_inputs {
    use super::*;
    workflow! {
        #[workflow(durable)]
        pub(super) struct Tally {
            input n: u32,
            input m: u32,
            a = first(n),
            b = add(a, m),
            c = stuck(a: b),
        }
    }
}

/// A run of `one_input::Tally` cut while `b` hangs, after `a` was recorded.
async fn cut_one_input_run(store: &Arc<MemoryStore>, calls: &Arc<Calls>) -> RunId {
    let rt = memory_runtime(store, calls);
    let run = rt.start_durable(one_input::Tally, one_input::TallyInput { n: 1 }, None);
    assert!(tokio::time::timeout(Duration::from_secs(1), run)
        .await
        .is_err());
    assert_eq!(calls.0.load(SeqCst), 1);
    store.list_runs(Default::default()).await.unwrap()[0].id
}

fn assert_refused(err: &WorkflowError, inputs: &str) {
    assert!(matches!(err, WorkflowError::Store { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&format!(
            "the workflow's inputs changed since the run started ({inputs}); it cannot be resumed"
        )),
        "{err}"
    );
}

#[tokio::test(start_paused = true)]
async fn an_added_input_is_named() {
    let store = Arc::new(MemoryStore::new());
    let calls = Arc::new(Calls::default());
    let run = cut_one_input_run(&store, &calls).await;
    let rt = memory_runtime(&store, &calls);
    let err = rt.resume(two_inputs::Tally, run).await.unwrap_err();
    assert_refused(&err, "input m");
    let err = rt.retry(two_inputs::Tally, run).await.unwrap_err();
    assert!(!err.to_string().contains("cannot decode"), "{err}");
    assert_eq!(calls.0.load(SeqCst), 1, "nothing ran");
}

#[tokio::test(start_paused = true)]
async fn a_removed_input_is_named() {
    let store = Arc::new(MemoryStore::new());
    let calls = Arc::new(Calls::default());
    let rt = memory_runtime(&store, &calls);
    let input = two_inputs::TallyInput { n: 1, m: 2 };
    let cut = rt.start_durable(two_inputs::Tally, input, None);
    assert!(tokio::time::timeout(Duration::from_secs(1), cut)
        .await
        .is_err());
    let run = store.list_runs(Default::default()).await.unwrap()[0].id;
    let rt = memory_runtime(&store, &calls);
    let err = rt.resume(one_input::Tally, run).await.unwrap_err();
    assert_refused(&err, "input m (removed)");
    assert_eq!(calls.0.load(SeqCst), 1, "nothing ran again");
}
