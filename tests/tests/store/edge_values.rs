//! Edge values of the durable options, as an outside crate would pass them: each works as
//! its documentation says, never a panic or a hang.

use std::sync::Arc;
use std::time::Duration;

use workflow_core::prelude::*;
use workflow_core::store::{MemoryStore, OwnerId, RunFilter, RunStatus, SqliteStore, Store};

use crate::support::TempDir;

#[node]
async fn nap(ms: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    ms
}

workflow! {
    #[workflow(durable)]
    struct TwoNaps {
        input ms: u64,
        a = nap(ms),
        b = nap(ms: a),
    }
}

/// `RuntimeBuilder::lease`: a zero lease has expired when written (another owner could
/// claim the run), and this runtime renews it about once a millisecond; `Duration::MAX`
/// saturates to the store's largest time. Both runs succeed, on tokio's paused clock too.
#[tokio::test(start_paused = true)]
async fn zero_and_duration_max_leases_run_as_documented() {
    for lease in [Duration::ZERO, Duration::MAX] {
        let store = Arc::new(MemoryStore::new());
        let rt = Runtime::builder()
            .store_arc(Arc::clone(&store) as Arc<dyn Store>)
            .owner(OwnerId::new("me"))
            .lease(lease)
            .build();
        let start = tokio::time::Instant::now();
        let run = rt
            .start_durable(TwoNaps, TwoNapsInput { ms: 20 }, None)
            .await
            .unwrap();
        assert_eq!(run.outputs.b, 20, "{lease:?}");
        assert_eq!(start.elapsed(), Duration::from_millis(40), "{lease:?}");
        let state = store.load_run(run.run_id).await.unwrap();
        assert_eq!(state.run.status, RunStatus::Succeeded, "{lease:?}");
        let commits = store.stats().commits;
        if lease.is_zero() {
            // Renewed on each millisecond tick of the 40 ms run, not in a busy loop.
            assert!((10..=200).contains(&commits), "{commits} commits");
        } else {
            assert!(commits < 10, "{commits} commits");
        }
    }
}

/// `SqliteStoreBuilder::busy_timeout(Duration::MAX)` ("wait as long as it takes"):
/// rusqlite panics ("too big") on more than `i32::MAX` milliseconds, so `open` panicked;
/// now it waits SQLite's longest and the store works.
#[tokio::test]
async fn a_sqlite_busy_timeout_of_duration_max_opens_the_store() {
    let dir = TempDir::new("busy-max");
    for (name, timeout) in [
        ("max.db", Duration::MAX),
        ("25-days.db", Duration::from_secs(25 * 86_400)),
        ("zero.db", Duration::ZERO),
    ] {
        let store = SqliteStore::builder(dir.file(name))
            .busy_timeout(timeout)
            .open()
            .unwrap_or_else(|e| panic!("{timeout:?}: {e}"));
        let rt = Runtime::builder()
            .store(store)
            .owner(OwnerId::new("me"))
            .build();
        let run = rt
            .start_durable(TwoNaps, TwoNapsInput { ms: 1 }, None)
            .await
            .unwrap();
        assert_eq!(run.outputs.b, 1);
        let store = rt.store().unwrap();
        let runs = store.list_runs(RunFilter::default()).await.unwrap();
        assert_eq!(runs.len(), 1, "{timeout:?}");
    }
}

/// `ManualClock::advance(Duration::MAX)` wrapped the clock's `i64` around to before the
/// epoch (an atomic `fetch_add`), so every lease looked unexpired; it saturates now.
#[test]
fn a_manual_clock_advanced_by_duration_max_stops_at_the_largest_time() {
    use workflow_core::store::{Clock, ManualClock, Timestamp};
    let clock = ManualClock::new(Timestamp(1_000));
    clock.advance(Duration::MAX);
    assert_eq!(clock.now(), Timestamp(i64::MAX));
    clock.advance(Duration::from_secs(1));
    assert_eq!(clock.now(), Timestamp(i64::MAX));
}

/// `Runtime::call_node` (one node run by itself, as `workflow-temporal`'s activities call
/// it) sent without the output of a node it reads: its slot was read empty, which
/// panicked "workflow slot read before it was written; this is a bug in workflow-core".
/// A bad call is now `NodeCallFailure::BadCall` naming the node and the missing source.
#[tokio::test(start_paused = true)]
async fn a_node_call_without_a_source_it_reads_is_a_bad_call() {
    use workflow_core::remote::{NodeCall, NodeCallFailure};
    let rt = Runtime::new();
    let err = rt
        .call_node::<TwoNaps>(NodeCall::new(1, 1, None, &[]))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            NodeCallFailure::BadCall {
                node: Some("b"),
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.node(), Some("b"));
    assert_eq!(
        err.to_string(),
        "node `b` reads the output of node 0 (`a`), which was not sent"
    );
    // A node index the workflow does not have names no node.
    let err = rt
        .call_node::<TwoNaps>(NodeCall::new(7, 1, None, &[]))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NodeCallFailure::BadCall { node: None, .. }),
        "{err:?}"
    );
    assert_eq!(err.node(), None);
    assert_eq!(err.to_string(), "workflow `TwoNaps` has no node 7");
    // Sent, it runs.
    let a = serde_json::to_vec(&3u64).unwrap();
    let out = rt
        .call_node::<TwoNaps>(NodeCall::new(1, 1, None, &[(0, &a)]))
        .await
        .unwrap();
    assert_eq!(serde_json::from_slice::<u64>(&out).unwrap(), 3);
}

#[node]
async fn double(x: u64) -> u64 {
    x * 2
}

#[derive(Debug, thiserror::Error)]
#[error("refused {0}")]
struct Refused(u64);

#[node]
async fn refuse(xs: Vec<u64>) -> Result<u64, Refused> {
    Err(Refused(xs.iter().sum()))
}

workflow! {
    #[workflow(durable)]
    struct Doubles {
        input xs: Vec<u64>,
        each = for x in xs {
            d = double(x),
        } => d,
        no = refuse(xs: each),
    }
}

/// `NodeCall::with_first_item(n)` with `n` near `usize::MAX`: numbering the fan-out's
/// items from it overflowed (`i + first_item`), a panic inside the node in a debug
/// build (`Panicked`, "attempt to add with overflow"), wrapped item paths in a release
/// one. A first item past `isize::MAX`, beyond any list, is a `BadCall` naming the
/// node; up to it, the items are numbered from it.
#[tokio::test(start_paused = true)]
async fn a_node_call_whose_first_item_is_past_any_list_is_a_bad_call() {
    use workflow_core::remote::{NodeCall, NodeCallFailure};
    use workflow_core::DurableWorkflow;
    let rt = Runtime::new();
    let input = Doubles::encode_input(&DoublesInput { xs: vec![1, 2] }).unwrap();
    for first in [usize::MAX, usize::MAX - 1, isize::MAX.unsigned_abs() + 1] {
        let call = NodeCall::new(0, 1, Some(&input), &[]).with_first_item(first);
        let err = rt.call_node::<Doubles>(call).await.unwrap_err();
        assert!(
            matches!(
                err,
                NodeCallFailure::BadCall {
                    node: Some("each"),
                    ..
                }
            ),
            "{first}: {err:?}"
        );
        assert_eq!(
            err.to_string(),
            format!(
                "node `each` was sent item {first} as the first of its list, past the longest \
                 list there can be ({} items)",
                isize::MAX
            )
        );
    }
    let call = NodeCall::new(0, 1, Some(&input), &[]).with_first_item(isize::MAX.unsigned_abs());
    let out = rt.call_node::<Doubles>(call).await.unwrap();
    assert_eq!(serde_json::from_slice::<Vec<u64>>(&out).unwrap(), [2, 4]);
}

/// A `NodeCallFailure` named no node: `Failed` printed the node's error alone,
/// `Panicked` "panicked: ..", and its `Debug` was its `Display`. Each names the node
/// called now, `node()` returns it, and `Debug` shows the variant and its fields.
#[tokio::test(start_paused = true)]
async fn a_node_call_failure_names_the_node_and_debugs_its_fields() {
    use workflow_core::remote::{NodeCall, NodeCallFailure};
    let rt = Runtime::new();
    let each = serde_json::to_vec(&[2u64, 4]).unwrap();
    let err = rt
        .call_node::<Doubles>(NodeCall::new(1, 1, None, &[(0, &each)]))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NodeCallFailure::Failed { node: "no", .. }),
        "{err:?}"
    );
    assert_eq!(err.node(), Some("no"));
    assert_eq!(err.to_string(), "node `no` failed: refused 6");
    // The message holds the node's error's, so `source()` continues below it (the
    // node's error has none): a chain printer shows "refused 6" once.
    assert!(std::error::Error::source(&err).is_none());
    let debug = format!("{err:?}");
    assert!(
        debug.starts_with("Failed { node: \"no\", source: Refused(6), retryable: true }"),
        "{debug}"
    );
    // A value that does not decode: the node called, and the codec's error.
    let err = rt
        .call_node::<Doubles>(NodeCall::new(1, 1, None, &[(0, b"nope")]))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NodeCallFailure::Codec { node: "no", .. }),
        "{err:?}"
    );
    assert!(err.to_string().starts_with("node `no`: "), "{err}");
    assert!(
        format!("{err:?}").starts_with("Codec { node: \"no\", source: "),
        "{err:?}"
    );
}

/// A panicking `on_durable_run_end` hook panicked out of `start_durable`, so the caller
/// lost the run's result (and its run id). It is contained now (a `tracing` error
/// event): the caller gets the run, and the runtime runs the next one.
#[tokio::test(start_paused = true)]
async fn a_panicking_durable_run_end_hook_is_contained() {
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = Arc::clone(&calls);
    let rt = Runtime::builder()
        .store(MemoryStore::new())
        .on_durable_run_end(move |end| {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            panic!("hook bug after run {}", end.run_id);
        })
        .build();
    for ms in [1, 2] {
        let run = rt
            .start_durable(TwoNaps, TwoNapsInput { ms }, None)
            .await
            .unwrap();
        assert_eq!(run.outputs.b, ms);
    }
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 2);
}

#[node(timeout = "1s")]
async fn limited(x: u64) -> u64 {
    x + 1
}

workflow! {
    #[workflow(durable)]
    struct Limited {
        input x: u64,
        a = limited(x),
    }
}

/// Outside tokio (another executor's `block_on`), a durable start, resume or recovery
/// panicked at `tokio::spawn` of the run's record task, once the store had claimed the
/// run; each is now `WorkflowError::NeedsTokio` (`DurableRecording`), before the store is
/// touched: no run is created.
#[test]
fn outside_tokio_a_durable_run_is_a_needs_tokio_error() {
    use workflow_core::store::RunId;
    use workflow_core::TokioNeed;
    let rt = Runtime::builder().store(MemoryStore::new()).build();
    let check = |err: WorkflowError| {
        let WorkflowError::NeedsTokio {
            workflow,
            node,
            cause,
        } = &err
        else {
            panic!("expected NeedsTokio, got {err:?}")
        };
        assert_eq!(
            (*workflow, node.as_deref(), *cause),
            ("TwoNaps", None, TokioNeed::DurableRecording)
        );
        assert_eq!(
            err.to_string(),
            "workflow `TwoNaps` needs a tokio runtime because of its store (a durable run is \
             recorded by a tokio task), and was polled outside one (another executor's \
             `block_on`): run it inside a tokio runtime (`#[tokio::main]`, \
             `tokio::runtime::Runtime::block_on`), or drop the store (run it with `execute`)"
        );
    };
    let start = rt.start_durable(TwoNaps, TwoNapsInput { ms: 1 }, Some("k"));
    check(crate::block_on::block_on(start).unwrap_err());
    check(crate::block_on::block_on(rt.resume(TwoNaps, RunId(1))).unwrap_err());
    check(crate::block_on::block_on(rt.recover(TwoNaps)).unwrap_err());
    assert_eq!(rt.active_runs(), 0);
    let runs = crate::block_on::block_on(rt.store().unwrap().list_runs(RunFilter::default()));
    assert!(runs.unwrap().is_empty());
}

/// Outside tokio, `Runtime::call_node` of a node with a timeout panicked in
/// `tokio::time::timeout`; it is `NodeCallFailure::NeedsTokio` naming the node, before
/// the node's fn runs. A node without one still runs there.
#[test]
fn outside_tokio_a_node_call_of_a_timed_node_is_a_needs_tokio_failure() {
    use workflow_core::remote::{NodeCall, NodeCallFailure};
    use workflow_core::{DurableWorkflow, TokioNeed};
    let rt = Runtime::new();
    let input = Limited::encode_input(&LimitedInput { x: 1 }).unwrap();
    let call = NodeCall::new(0, 1, Some(&input), &[]);
    let err = crate::block_on::block_on(rt.call_node::<Limited>(call)).unwrap_err();
    assert!(
        matches!(
            err,
            NodeCallFailure::NeedsTokio {
                node: "a",
                cause: TokioNeed::NodeTimeout
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.node(), Some("a"));
    assert_eq!(
        err.to_string(),
        "node `a` needs a tokio runtime because of its timeout (tokio's timer), and was \
         called outside one (another executor's `block_on`): call it inside a tokio \
         runtime, or drop the node's timeout"
    );
    let input = Doubles::encode_input(&DoublesInput { xs: vec![1, 2] }).unwrap();
    let a = serde_json::to_vec(&vec![2u64, 4]).unwrap();
    let sources = [(0, a.as_slice())];
    let call = NodeCall::new(1, 1, Some(&input), &sources);
    let err = crate::block_on::block_on(rt.call_node::<Doubles>(call)).unwrap_err();
    assert_eq!(err.to_string(), "node `no` failed: refused 6");
}

#[node(spawn)]
async fn spawned_double(x: u64) -> u64 {
    x * 2
}

#[node(retry(max = 2, backoff = "10ms"))]
async fn refuses_first(ctx: &Context, x: u64) -> Result<u64, Refused> {
    if ctx.attempt() == 1 {
        return Err(Refused(x));
    }
    Ok(x)
}

workflow! {
    #[workflow(durable)]
    struct TimedItems {
        input xs: Vec<u64>,
        each = for x in xs {
            d = limited(x),
        } => d,
    }
}

workflow! {
    #[workflow(durable)]
    struct SpawnedItems {
        input xs: Vec<u64>,
        each = for x in xs {
            d = spawned_double(x),
        } => d,
    }
}

workflow! {
    #[workflow(durable)]
    struct RetriedItems {
        input xs: Vec<u64>,
        each = for x in xs {
            d = refuses_first(x),
        } => d,
    }
}

workflow! {
    #[workflow(durable, timeout = "1s")]
    struct TimedInner {
        input x: u64,
        d = double(x),
    }
}

workflow! {
    #[workflow(durable)]
    struct CallsTimedInner {
        input x: u64,
        inner = TimedInner(x),
    }
}

workflow! {
    #[workflow(durable)]
    struct SpawnsAlone {
        input x: u64,
        d = spawned_double(x),
    }
}

/// Outside tokio, `Runtime::call_node` looked only at the called node's own timeout:
/// a fan-out node whose items have a timeout or spawn, or a sub-workflow node with a run
/// timeout, went on to tokio's panic inside (`Child` holding the item's `NodePanicked`
/// with tokio's message, or the whole call `Panicked`). Each is refused before anything
/// runs now, as a run would refuse it: `Child` holding `WorkflowError::NeedsTokio`,
/// naming the node inside by its path, not retryable. An item's retry backoff is typed
/// when it would wait (the item failed), as in a run. A `spawn` node called alone is not spawned: it
/// runs there.
#[test]
fn outside_tokio_a_node_call_that_needs_tokio_inside_is_a_needs_tokio_failure() {
    use workflow_core::remote::{NodeCall, NodeCallFailure};
    use workflow_core::{DurableWorkflow, TokioNeed};
    fn call(input: &[u8]) -> NodeCall<'_> {
        NodeCall::new(0, 1, Some(input), &[])
    }
    let rt = Runtime::new();
    let xs = vec![1, 2];
    let timed = TimedItems::encode_input(&TimedItemsInput { xs: xs.clone() }).unwrap();
    let spawned = SpawnedItems::encode_input(&SpawnedItemsInput { xs: xs.clone() }).unwrap();
    let retried = RetriedItems::encode_input(&RetriedItemsInput { xs }).unwrap();
    let inner = CallsTimedInner::encode_input(&CallsTimedInnerInput { x: 3 }).unwrap();
    let checks = [
        (
            crate::block_on::block_on(rt.call_node::<TimedItems>(call(&timed))),
            ("TimedItems", "each[].d", TokioNeed::NodeTimeout),
        ),
        (
            crate::block_on::block_on(rt.call_node::<SpawnedItems>(call(&spawned))),
            ("SpawnedItems", "each[].d", TokioNeed::Spawn),
        ),
        (
            crate::block_on::block_on(rt.call_node::<CallsTimedInner>(call(&inner))),
            ("CallsTimedInner", "inner", TokioNeed::RunTimeout),
        ),
        (
            crate::block_on::block_on(rt.call_node::<RetriedItems>(call(&retried))),
            ("RetriedItems", "each[0].d", TokioNeed::RetryBackoff),
        ),
    ];
    for (result, want) in checks {
        let err = result.unwrap_err();
        let NodeCallFailure::Child {
            error:
                WorkflowError::NeedsTokio {
                    workflow,
                    node: Some(node),
                    cause,
                },
            retryable,
        } = &err
        else {
            panic!("{want:?}: {err:?}")
        };
        assert_eq!((*workflow, &**node, *cause), want, "{err:?}");
        // Refused up front, a call is not worth retrying; the item's backoff came from
        // a run of the fan-out, which the node's policy (none) lets the caller retry.
        assert_eq!(*retryable, *cause == TokioNeed::RetryBackoff, "{err:?}");
        assert_eq!(err.node(), Some(want.1));
    }
    let err = crate::block_on::block_on(rt.call_node::<TimedItems>(call(&timed))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "workflow `TimedItems` needs a tokio runtime because of the timeout (tokio's timer) \
         of its node `each[].d`, and was polled outside one (another executor's \
         `block_on`): run it inside a tokio runtime (`#[tokio::main]`, \
         `tokio::runtime::Runtime::block_on`), or drop the node's timeout"
    );
    let alone = SpawnsAlone::encode_input(&SpawnsAloneInput { x: 3 }).unwrap();
    let out = crate::block_on::block_on(rt.call_node::<SpawnsAlone>(call(&alone))).unwrap();
    assert_eq!(serde_json::from_slice::<u64>(&out).unwrap(), 6);
}
