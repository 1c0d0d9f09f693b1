//! Durable runs through the runtime: idempotency, resume with restored nodes, records
//! that no longer decode, concurrent recovery, and crash and resume across processes
//! (the test re-runs its own binary as a child that aborts inside node k).
//!
//! The same runtime tests run against the memory and SQLite stores, and Postgres when
//! `WORKFLOW_TEST_POSTGRES_URL` is set (skipped with a message otherwise, required with
//! `WORKFLOW_REQUIRE_POSTGRES=1`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use workflow_core::prelude::*;
use workflow_core::DurableFuture;

use crate::support::{append_line, postgres_url, TempDir};
use workflow_core::store::{
    CreatedRun, GraphFingerprint, ManualClock, MemoryStore, NewRun, OwnerId, Record,
    RecordedOutput, RunFilter, RunId, RunStatus, SqliteStore, Store, StoreError, Timestamp,
};

/// Counts node executions (in memory, and in a file shared with a child process) and
/// aborts the process inside one node when told to, once `store` holds the rows of
/// `wait_for` (the recorder commits in the background: what the store holds at the
/// abort is pinned, not left to how soon its thread got a core).
#[derive(Default)]
struct Probe {
    file: Option<PathBuf>,
    abort_at: Option<String>,
    wait_for: Vec<&'static str>,
    store: Option<Arc<dyn Store>>,
    /// Once set ([`hold`](Self::hold)), node `a` waits until it is closed.
    gate: Mutex<Option<Arc<tokio::sync::Semaphore>>>,
    counts: Mutex<HashMap<&'static str, u32>>,
}

impl Probe {
    async fn visit(&self, node: &'static str) {
        *self.counts.lock().unwrap().entry(node).or_default() += 1;
        if let Some(file) = &self.file {
            append_line(file, node);
        }
        let gate = self.gate.lock().unwrap().clone();
        if let (Some(gate), "a") = (gate, node) {
            // Closed: the acquire fails, and the node goes on.
            let _ = gate.acquire().await;
        }
        if self.abort_at.as_deref() == Some(node) {
            self.await_rows().await;
            std::process::abort();
        }
    }

    /// Waits (a bounded poll) until `store` holds a row of every node of `wait_for`.
    async fn await_rows(&self) {
        if self.wait_for.is_empty() {
            return;
        }
        let store = self.store.as_ref().expect("a store to wait on");
        for _ in 0..5_000 {
            let runs = store.list_runs(RunFilter::default()).await.unwrap();
            if let Some(run) = runs.first() {
                let state = store.load_run(run.id).await.unwrap();
                if self
                    .wait_for
                    .iter()
                    .all(|w| state.outputs.iter().any(|r| r.path.as_str() == *w))
                {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        panic!("rows {:?} were never committed", self.wait_for);
    }

    fn count(&self, node: &str) -> u32 {
        self.counts.lock().unwrap().get(node).copied().unwrap_or(0)
    }

    /// From now on, runs wait in node `a` until the returned gate is closed.
    fn hold(&self) -> Arc<tokio::sync::Semaphore> {
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        *self.gate.lock().unwrap() = Some(Arc::clone(&gate));
        gate
    }
}

/// Gives the recorder a moment (it commits in the background) while later nodes run;
/// nothing asserts on time (a child that aborts waits for the rows it needs, see
/// `Probe::wait_for`).
async fn pause() {
    tokio::time::sleep(Duration::from_millis(5)).await;
}

#[node]
async fn first(n: u64, probe: Res<Probe>) -> u64 {
    probe.visit("a").await;
    pause().await;
    n + 1
}

#[node]
async fn double(x: u64, probe: Res<Probe>) -> u64 {
    probe.visit("b").await;
    pause().await;
    x * 2
}

#[node]
async fn pair(x: u64, probe: Res<Probe>) -> Vec<u64> {
    probe.visit("c").await;
    pause().await;
    vec![x, x + 1]
}

#[node]
async fn join(y: u64, z: Vec<u64>, probe: Res<Probe>) -> String {
    probe.visit("d").await;
    pause().await;
    format!("{y}:{z:?}")
}

workflow! {
    /// a → b, a → c, (b, c) → d.
    #[workflow(durable)]
    struct Diamond {
        input n: u64,
        a = first(n: n),
        b = double(x: a),
        c = pair(x: a),
        d = join(y: b, z: c),
    }
}

const NODES: [&str; 4] = ["a", "b", "c", "d"];

fn runtime(store: Arc<dyn Store>, probe: Probe) -> Runtime {
    Runtime::builder()
        .store_arc(store)
        .owner(OwnerId::new("test"))
        .resource(probe)
        .build()
}

async fn stores(name: &str) -> Stores {
    clocked_stores(name, &ManualClock::new(Timestamp(1_000_000))).await
}

/// A Postgres store in its own fresh schema `durable_<name>`, or `None` (with a message)
/// when `WORKFLOW_TEST_POSTGRES_URL` is not set and `WORKFLOW_REQUIRE_POSTGRES` is not `1`.
async fn postgres(name: &str, clock: &ManualClock) -> Option<Arc<dyn Store>> {
    use workflow_core::store::PostgresStore;
    let url = postgres_url(&format!("durable-run case `{name}`"))?;
    let schema = format!("durable_{name}");
    PostgresStore::drop_schema(&url, &schema).await.unwrap();
    let store = PostgresStore::builder(&url)
        .schema(&schema)
        .clock(Arc::new(clock.clone()))
        .connect()
        .await
        .unwrap();
    Some(Arc::new(store))
}

#[tokio::test]
async fn a_durable_run_succeeds_and_deletes_its_rows() {
    for (kind, store) in stores("plain").await {
        let rt = runtime(Arc::clone(&store), Probe::default());
        let run = rt
            .start_durable(Diamond, DiamondInput { n: 1 }, None)
            .await
            .unwrap();
        assert_eq!(run.outputs.d, "4:[2, 3]", "{kind}");
        assert!(run.restored().is_empty(), "{kind}");
        let state = store.load_run(run.run_id).await.unwrap();
        assert_eq!(state.run.status, RunStatus::Succeeded, "{kind}");
        assert!(state.outputs.is_empty(), "{kind}: rows deleted on success");
        // Without a store the same workflow runs as any other.
        let plain = Runtime::builder().resource(Probe::default()).build();
        let out = plain.execute(Diamond, DiamondInput { n: 1 }).await.unwrap();
        assert_eq!(out.outputs.d, "4:[2, 3]");
    }
}

#[tokio::test]
async fn a_second_start_with_the_same_key_returns_the_first_result() {
    for (kind, store) in stores("idem").await {
        let rt = runtime(Arc::clone(&store), Probe::default());
        // `DurableRun` is in the prelude, as `Run` is: a helper returning one names it.
        fn start(rt: &Runtime, n: u64) -> DurableFuture<'_, DurableRun<DiamondOutput>> {
            rt.start_durable(Diamond, DiamondInput { n }, Some("k"))
        }
        let first = start(&rt, 1).await.unwrap();
        let second = start(&rt, 1).await.unwrap();
        assert_eq!(first.run_id, second.run_id, "{kind}");
        assert_eq!(second.outputs.d, "4:[2, 3]", "{kind}");
        assert!(
            second.report.is_none(),
            "{kind}: read from the store, not run"
        );
        let probe = rt.resource::<Probe>().unwrap();
        assert_eq!(probe.count("a"), 1, "{kind}: ran once");
        let other = rt
            .start_durable(Diamond, DiamondInput { n: 2 }, Some("k"))
            .await;
        assert!(
            matches!(other, Err(WorkflowError::Store { .. })),
            "{kind}: {other:?}"
        );
        // Refused before a run was created: no "durable run 0", which read like a run
        // of that id.
        assert_eq!(
            other.unwrap_err().to_string(),
            format!(
                "durable workflow `Diamond`: idempotency key `k` already names run {} of workflow `Diamond` with another input",
                first.run_id
            ),
            "{kind}"
        );
    }
}

/// A client retrying a request while the first is still being served: both starts land on
/// one runtime, whose own lease the store would let it claim again. The second waits for
/// the first and returns its outputs; the nodes run once. A `resume` of a run this
/// runtime is driving waits too, then finds it finished.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_starts_with_one_key_and_a_resume_run_the_nodes_once() {
    for (kind, store) in stores("idem_concurrent").await {
        let rt = runtime(Arc::clone(&store), Probe::default());
        let start = || rt.start_durable(Diamond, DiamondInput { n: 1 }, Some("twice"));
        let (first, second) = tokio::join!(start(), start());
        let (first, second) = (first.unwrap(), second.unwrap());
        assert_eq!(first.run_id, second.run_id, "{kind}");
        assert_eq!(
            (first.outputs.d.as_str(), second.outputs.d.as_str()),
            ("4:[2, 3]", "4:[2, 3]"),
            "{kind}"
        );
        let probe = rt.resource::<Probe>().unwrap();
        for node in NODES {
            assert_eq!(probe.count(node), 1, "{kind}: `{node}` ran twice");
        }
        // Exactly one of the two ran the run; the other read its outputs.
        assert_eq!(
            [&first, &second]
                .iter()
                .filter(|r| r.report.is_some())
                .count(),
            1,
            "{kind}"
        );

        // A resume of the run a start is driving, held in `a` until the resume found
        // it running (a run that ended before the look below, which a busy machine
        // allowed, left it looking for a running run forever).
        let gate = probe.hold();
        let started = rt.start_durable(Diamond, DiamondInput { n: 5 }, None);
        let resumed = async {
            let id = loop {
                let running = store
                    .list_runs(RunFilter {
                        status: Some(RunStatus::Running),
                        ..RunFilter::default()
                    })
                    .await
                    .unwrap();
                if let Some(row) = running.first() {
                    break row.id;
                }
                tokio::task::yield_now().await;
            };
            gate.close();
            (id, rt.resume(Diamond, id).await)
        };
        let (started, (id, resumed)) = tokio::join!(started, resumed);
        let started = started.unwrap();
        assert_eq!(started.run_id, id, "{kind}");
        match resumed {
            // The usual order: the start drives, the resume waits and finds it finished.
            Err(err) => {
                assert!(started.report.is_some(), "{kind}");
                let WorkflowError::Store { source, .. } = &err else {
                    panic!("{kind}: {err}")
                };
                assert!(
                    matches!(
                        source.downcast_ref::<StoreError>(),
                        Some(StoreError::Finished {
                            status: RunStatus::Succeeded,
                            ..
                        })
                    ),
                    "{kind}: {err}"
                );
            }
            // The resume claimed the new row first (SQLite shows it before the start's
            // `create_run` returns): the start waited and read its outputs.
            Ok(resumed) => {
                assert!(started.report.is_none(), "{kind}");
                assert_eq!(resumed.outputs.d, started.outputs.d, "{kind}");
            }
        }
        for node in NODES {
            assert_eq!(probe.count(node), 2, "{kind}: `{node}`");
        }
    }
}

#[tokio::test]
async fn a_durable_start_without_a_store_says_how_to_add_one() {
    let err = Runtime::new()
        .start_durable(Diamond, DiamondInput { n: 1 }, None)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "durable workflow `Diamond`: no store configured: build the runtime with `Runtime::builder().store(..)`"
    );
}

/// A run whose process died after `a` and `b` were recorded: created and recorded by
/// hand with another owner, then recovered once its lease expired.
async fn interrupted_run(store: &Arc<dyn Store>, b_row: Record) -> RunId {
    interrupted_run_of(store, b_row, DIAMOND).await
}

const DIAMOND: &str = <Diamond as workflow_core::DurableWorkflow>::FINGERPRINT;

async fn interrupted_run_of(store: &Arc<dyn Store>, b_row: Record, fingerprint: &str) -> RunId {
    dead_run(store, "Diamond", fingerprint, |run| {
        let a = RecordedOutput::encode(run, "a".parse().unwrap(), 1, &2u64).unwrap();
        vec![Record::Output(a), b_row]
    })
    .await
}

/// A run of `workflow` (input `[1]`) created by hand with another owner, whose lease runs
/// out 10 s later, with `rows` (given the run's id) recorded: what a process that died
/// leaves behind.
pub(crate) async fn dead_run(
    store: &Arc<dyn Store>,
    workflow: &str,
    fingerprint: &str,
    rows: impl FnOnce(RunId) -> Vec<Record>,
) -> RunId {
    dead_run_over(store, workflow, fingerprint, 1, rows).await
}

/// [`dead_run`] of a workflow whose one input is `input`.
pub(crate) async fn dead_run_over(
    store: &Arc<dyn Store>,
    workflow: &str,
    fingerprint: &str,
    input: u64,
    rows: impl FnOnce(RunId) -> Vec<Record>,
) -> RunId {
    let created = store
        .create_run(NewRun {
            workflow: workflow.into(),
            fingerprint: GraphFingerprint(fingerprint.into()),
            input: workflow_core::store::encode(&[input], None, "input").unwrap(),
            idempotency_key: None,
            owner: OwnerId::new("dead"),
            lease: Duration::from_secs(10),
        })
        .await
        .unwrap();
    let CreatedRun::New(claimed) = created else {
        panic!("new run")
    };
    let run = claimed.run.id;
    store.record_all(&claimed.lease, rows(run)).await.unwrap();
    run
}

pub(crate) async fn clocked_stores(name: &str, clock: &ManualClock) -> Stores {
    let dir = TempDir::new(name);
    let mut list = vec![
        (
            "memory",
            Arc::new(MemoryStore::with_clock(Arc::new(clock.clone()))) as Arc<dyn Store>,
        ),
        (
            "sqlite",
            Arc::new(
                SqliteStore::builder(dir.file("runs.db"))
                    .clock(Arc::new(clock.clone()))
                    .open()
                    .unwrap(),
            ),
        ),
    ];
    if let Some(pg) = postgres(name, clock).await {
        list.push(("postgres", pg));
    }
    Stores { dir, list }
}

/// The stores a case runs against, by kind, with the SQLite store's directory: iterating
/// them keeps the directory until the iterator is dropped (the end of the `for` loop),
/// then removes it. A task still holding the SQLite store after that keeps its open
/// file (removing it only unlinks it), so nothing is left in the temp dir.
pub(crate) struct Stores {
    dir: TempDir,
    list: Vec<(&'static str, Arc<dyn Store>)>,
}

impl IntoIterator for Stores {
    type Item = (&'static str, Arc<dyn Store>);
    type IntoIter = StoresIter;

    fn into_iter(self) -> StoresIter {
        StoresIter {
            _dir: self.dir,
            list: self.list.into_iter(),
        }
    }
}

pub(crate) struct StoresIter {
    _dir: TempDir,
    list: std::vec::IntoIter<(&'static str, Arc<dyn Store>)>,
}

impl Iterator for StoresIter {
    type Item = (&'static str, Arc<dyn Store>);

    fn next(&mut self) -> Option<Self::Item> {
        self.list.next()
    }
}

#[tokio::test]
async fn recover_restores_recorded_nodes_and_runs_the_rest() {
    let clock = ManualClock::new(Timestamp(1_000_000));
    for (kind, store) in clocked_stores("resume", &clock).await {
        let b = |run| {
            Record::Output(RecordedOutput::encode(run, "b".parse().unwrap(), 1, &4u64).unwrap())
        };
        let run = interrupted_run(&store, b(RunId(0))).await;
        let rt = runtime(Arc::clone(&store), Probe::default());
        // Still leased to its owner: nothing to recover yet.
        assert!(rt.recover(Diamond).await.unwrap().is_empty(), "{kind}");
        clock.advance(Duration::from_secs(11));
        let mut recovered = rt.recover(Diamond).await.unwrap();
        assert_eq!(recovered.len(), 1, "{kind}");
        let (id, result) = recovered.remove(0);
        assert_eq!(id, run, "{kind}");
        let result = result.unwrap();
        assert_eq!(result.outputs.d, "4:[2, 3]", "{kind}");
        assert_eq!(result.restored(), ["a", "b"], "{kind}");
        workflow_test::assert_restored(&result, &["b", "a"]);
        let wrong = std::panic::catch_unwind(|| workflow_test::assert_restored(&result, &["a"]));
        let message = *wrong.unwrap_err().downcast::<String>().unwrap();
        assert!(
            message.contains("restored [\"a\", \"b\"]") && message.contains("c succeeded"),
            "{message}"
        );
        let report = result.report.as_ref().unwrap();
        assert_eq!(
            report.node("c").unwrap().status,
            NodeStatus::Succeeded,
            "{kind}"
        );
        let probe = rt.resource::<Probe>().unwrap();
        assert_eq!(
            (probe.count("a"), probe.count("b"), probe.count("c")),
            (0, 0, 1),
            "{kind}"
        );
        assert_eq!(store.get_run(run).await.unwrap().claims, 2, "{kind}");
    }
}

#[tokio::test]
async fn a_record_that_no_longer_decodes_is_an_error_naming_run_and_node() {
    let clock = ManualClock::new(Timestamp(1_000_000));
    for (kind, store) in clocked_stores("decode", &clock).await {
        // `b` recorded as text by "older code" under the current type's name.
        let mut row = RecordedOutput::encode(RunId(0), "b".parse().unwrap(), 1, &"x").unwrap();
        row.output_type = std::any::type_name::<u64>().into();
        let run = interrupted_run(&store, Record::Output(row)).await;
        clock.advance(Duration::from_secs(11));
        let rt = runtime(Arc::clone(&store), Probe::default());
        let err = rt.resume(Diamond, run).await.unwrap_err();
        assert!(
            matches!(
                &err,
                WorkflowError::Store {
                    node: Some(node),
                    ..
                } if node == "b"
            ),
            "{kind}: {err:?}"
        );
        let text = err.to_string();
        assert!(
            text.contains(&format!("durable run {run}")) && text.contains("node `b`"),
            "{kind}: {text}"
        );
        // Nothing recorded was lost, and nothing ran.
        assert_eq!(
            store.load_run(run).await.unwrap().outputs.len(),
            2,
            "{kind}"
        );
        assert_eq!(rt.resource::<Probe>().unwrap().count("c"), 0, "{kind}");
    }
}

#[tokio::test]
async fn a_changed_output_type_reruns_that_node_and_its_downstream() {
    let clock = ManualClock::new(Timestamp(1_000_000));
    for (kind, store) in clocked_stores("stale", &clock).await {
        // `b` recorded as a `u32` by older code: stale, so `b` and `d` run again.
        let row = RecordedOutput::encode(RunId(0), "b".parse().unwrap(), 1, &4u32).unwrap();
        let run = interrupted_run(&store, Record::Output(row)).await;
        clock.advance(Duration::from_secs(11));
        let rt = runtime(Arc::clone(&store), Probe::default());
        let result = rt.resume(Diamond, run).await.unwrap();
        assert_eq!(result.restored(), ["a"], "{kind}");
        assert_eq!(result.outputs.d, "4:[2, 3]", "{kind}");
    }
}

#[tokio::test]
async fn a_changed_graph_reruns_changed_nodes_and_refuses_changed_inputs() {
    let clock = ManualClock::new(Timestamp(1_000_000));
    for (kind, store) in clocked_stores("changed", &clock).await {
        let b = Record::Output(
            RecordedOutput::encode(RunId(0), "b".parse().unwrap(), 1, &4u64).unwrap(),
        );
        // Recorded when `b` called another fn: `b` (and `d`) run again, `a` is restored.
        let old = DIAMOND.replace("b=double(", "b=quadruple(");
        let run = interrupted_run_of(&store, b.clone(), &old).await;
        // Recorded when the input was a `u32`: refused, naming the input.
        let old_input = DIAMOND.replace("input n: u64", "input n: u32");
        let refused = interrupted_run_of(&store, b, &old_input).await;
        clock.advance(Duration::from_secs(11));
        let rt = runtime(Arc::clone(&store), Probe::default());
        let result = rt.resume(Diamond, run).await.unwrap();
        workflow_test::assert_restored(&result, &["a"]);
        assert_eq!(result.outputs.d, "4:[2, 3]", "{kind}");
        let err = rt.resume(Diamond, refused).await.unwrap_err();
        assert!(
            err.to_string()
                .contains("inputs changed since the run started (input n)"),
            "{kind}: {err}"
        );
    }
}

/// Fails while its flag is set.
#[derive(Default)]
struct Refuse(std::sync::atomic::AtomicBool);

#[derive(Debug, thiserror::Error)]
#[error("refused")]
struct RefusedNow;

#[node]
async fn check(y: u64, refuse: Res<Refuse>, probe: Res<Probe>) -> Result<u64, RefusedNow> {
    probe.visit("e").await;
    if refuse.0.load(std::sync::atomic::Ordering::SeqCst) {
        return Err(RefusedNow);
    }
    Ok(y)
}

workflow! {
    /// a → b → e.
    #[workflow(durable)]
    struct Checked {
        input n: u64,
        a = first(n: n),
        b = double(x: a),
        e = check(y: b),
    }
}

const CHECKED: &str = <Checked as workflow_core::DurableWorkflow>::FINGERPRINT;

/// A run recorded by code in which `b` called another fn, resumed by the current code:
/// `b` runs again (it changed) and the run fails at `e`. Retried, `b` is restored: the
/// resume recorded it under the current graph, which the run now names (without it, each
/// later resume compared with the first graph and ran `b` once more).
#[tokio::test]
async fn a_node_that_changed_runs_again_once_not_at_every_resume() {
    let clock = ManualClock::new(Timestamp(1_000_000));
    for (kind, store) in clocked_stores("rebase", &clock).await {
        let old = CHECKED.replace("b=double(", "b=quadruple(");
        assert_ne!(old, CHECKED);
        // `b` as the old code computed it (quadruple): never restored.
        let run = dead_run(&store, "Checked", &old, |run| {
            let row = |path: &str, value: u64| {
                let row = RecordedOutput::encode(run, path.parse().unwrap(), 1, &value);
                Record::Output(row.unwrap())
            };
            vec![row("a", 2), row("b", 8)]
        })
        .await;
        clock.advance(Duration::from_secs(11));

        let rt = Runtime::builder()
            .store_arc(Arc::clone(&store))
            .owner(OwnerId::new("test"))
            .resource(Probe::default())
            .resource(Refuse(true.into()))
            .build();
        let err = rt.resume(Checked, run).await.unwrap_err();
        assert_eq!(err.node(), Some("e"), "{kind}: {err}");
        let probe = rt.resource::<Probe>().unwrap();
        assert_eq!((probe.count("a"), probe.count("b")), (0, 1), "{kind}");
        let state = store.load_run(run).await.unwrap();
        assert_eq!(state.run.fingerprint.0, CHECKED, "{kind}");
        let b = state
            .outputs
            .iter()
            .find(|r| r.path.as_str() == "b")
            .unwrap();
        assert_eq!(
            b.decode::<u64>(run).unwrap(),
            4,
            "{kind}: b as the current code made it"
        );

        rt.resource::<Refuse>()
            .unwrap()
            .0
            .store(false, std::sync::atomic::Ordering::SeqCst);
        let retried = rt.retry(Checked, run).await.unwrap();
        workflow_test::assert_restored(&retried, &["a", "b"]);
        assert_eq!(retried.outputs.e, 4, "{kind}");
        assert_eq!((probe.count("b"), probe.count("e")), (1, 2), "{kind}");
    }
}

/// A resume whose graph changed forgets the rows of the nodes it runs again before it
/// runs them: were it to crash before they record, the next resume (comparing with the
/// current graph) must not restore the old code's rows.
#[tokio::test]
async fn a_changed_graph_forgets_the_rows_of_the_nodes_that_run_again() {
    let clock = ManualClock::new(Timestamp(1_000_000));
    for (kind, store) in clocked_stores("rebase_rows", &clock).await {
        let b = Record::Output(
            RecordedOutput::encode(RunId(0), "b".parse().unwrap(), 1, &4u64).unwrap(),
        );
        let old = DIAMOND.replace("b=double(", "b=quadruple(");
        let run = interrupted_run_of(&store, b, &old).await;
        clock.advance(Duration::from_secs(11));
        let owner = OwnerId::new("test");
        let claimed = store
            .claim_run(run, &owner, Duration::from_secs(10))
            .await
            .unwrap();
        // What the resume does first, by hand: `b` (changed) and `d` run again.
        store
            .rebase_run(
                &claimed.lease,
                GraphFingerprint(DIAMOND.into()),
                vec!["b".parse().unwrap()],
            )
            .await
            .unwrap();
        let state = store.load_run(run).await.unwrap();
        assert_eq!(state.run.fingerprint.0, DIAMOND, "{kind}");
        let paths: Vec<&str> = state.outputs.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(paths, ["a"], "{kind}");
        // Another owner's lease does not rebase.
        let err = store
            .rebase_run(
                &workflow_core::store::Lease {
                    owner: OwnerId::new("other"),
                    ..claimed.lease.clone()
                },
                GraphFingerprint(old.clone()),
                Vec::new(),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::LeaseLost { .. }), "{kind}: {err}");
        assert_eq!(
            store.get_run(run).await.unwrap().fingerprint.0,
            DIAMOND,
            "{kind}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_recoverers_resume_each_run_once() {
    let clock = ManualClock::new(Timestamp(1_000_000));
    for (kind, store) in clocked_stores("recover2", &clock).await {
        let b = |run| {
            Record::Output(RecordedOutput::encode(run, "b".parse().unwrap(), 1, &4u64).unwrap())
        };
        let mut runs = Vec::new();
        for _ in 0..6 {
            runs.push(interrupted_run(&store, b(RunId(0))).await);
        }
        clock.advance(Duration::from_secs(11));
        let one = runtime(Arc::clone(&store), Probe::default());
        let two = Runtime::builder()
            .store_arc(Arc::clone(&store))
            .owner(OwnerId::new("other"))
            .resource(Probe::default())
            .build();
        let (r1, r2) = tokio::join!(one.recover(Diamond), two.recover(Diamond));
        let mut ids: Vec<RunId> = r1
            .unwrap()
            .into_iter()
            .chain(r2.unwrap())
            .map(|(id, r)| {
                assert_eq!(r.unwrap().outputs.d, "4:[2, 3]");
                id
            })
            .collect();
        ids.sort();
        assert_eq!(ids, runs, "{kind}: each run resumed exactly once");
        let c_runs = one.resource::<Probe>().unwrap().count("c")
            + two.resource::<Probe>().unwrap().count("c");
        assert_eq!(c_runs, 6, "{kind}");
    }
}

#[node]
async fn key_of(ctx: &Context) -> String {
    ctx.idempotency_key()
}

#[node]
async fn key_after(_prev: String, ctx: &Context) -> String {
    ctx.idempotency_key()
}

workflow! {
    #[workflow(durable)]
    struct Keys {
        first = key_of(),
        second = key_after(_prev: first),
    }
}

#[tokio::test]
async fn idempotency_keys_name_the_stored_run_and_the_node() {
    for (kind, store) in stores("keys").await {
        let rt = runtime(store, Probe::default());
        let run = rt.start_durable(Keys, KeysInput {}, None).await.unwrap();
        let id = run.run_id;
        assert_eq!(
            run.report.unwrap().node("first").unwrap().status,
            NodeStatus::Succeeded
        );
        // `first` is consumed by `second`; only the sink is an output.
        assert_eq!(run.outputs.second, format!("Keys/{id}/second"), "{kind}");
    }
}

// ---- Concurrent recovery from two processes ----

const RECOVER_ENV: &str = "WORKFLOW_DURABLE_RECOVER_CHILD";

/// In a child: open the database (a connection and writer of its own), recover every
/// expired run of `Diamond` as owner `owner`, and write the recovered run ids to `out`.
fn recover_child(spec: &str) {
    let parts: Vec<&str> = spec.split('|').collect();
    let (db, out, counts, owner) = (parts[0], parts[1], parts[2], parts[3]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let runtime = Runtime::builder()
            .store(SqliteStore::open(db).unwrap())
            .owner(OwnerId::new(owner))
            .resource(Probe {
                file: Some(counts.into()),
                ..Probe::default()
            })
            .build();
        let recovered = runtime.recover(Diamond).await.unwrap();
        let mut text = String::new();
        for (id, result) in recovered {
            assert_eq!(result.unwrap().outputs.d, "4:[2, 3]");
            text.push_str(&format!("{}\n", id.0));
        }
        std::fs::write(out, text).unwrap();
    });
}

#[test]
fn two_processes_recover_each_run_once() {
    if let Ok(spec) = std::env::var(RECOVER_ENV) {
        return recover_child(&spec);
    }
    let dir = TempDir::new("recover-procs");
    let db = dir.file("runs.db");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // Eight runs whose owner died: `a` recorded, leases already expired.
    let runs: Vec<RunId> = rt.block_on(async {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&db).unwrap());
        let mut runs = Vec::new();
        for i in 0..8 {
            let created = store
                .create_run(NewRun {
                    workflow: "Diamond".into(),
                    fingerprint: GraphFingerprint(DIAMOND.into()),
                    input: workflow_core::store::encode(&[1u64], None, "input").unwrap(),
                    idempotency_key: Some(format!("dead-{i}")),
                    owner: OwnerId::new("dead"),
                    lease: Duration::from_millis(1),
                })
                .await
                .unwrap();
            let CreatedRun::New(claimed) = created else {
                panic!("new run")
            };
            let a = RecordedOutput::encode(claimed.run.id, "a".parse().unwrap(), 1, &2u64);
            store
                .record_all(&claimed.lease, vec![Record::Output(a.unwrap())])
                .await
                .unwrap();
            runs.push(claimed.run.id);
        }
        runs
    });
    std::thread::sleep(Duration::from_millis(20));
    let children: Vec<_> = ["one", "two"]
        .iter()
        .map(|owner| {
            let (out, counts) = (
                dir.file(&format!("{owner}.ids")),
                dir.file(&format!("{owner}.counts")),
            );
            let child = std::process::Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "durable::two_processes_recover_each_run_once",
                    "--test-threads=1",
                ])
                .env(
                    RECOVER_ENV,
                    format!(
                        "{}|{}|{}|{owner}",
                        db.display(),
                        out.display(),
                        counts.display()
                    ),
                )
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            (child, out, counts)
        })
        .collect();
    let mut recovered = Vec::new();
    let mut c_runs = 0;
    for (mut child, out, counts) in children {
        assert!(
            child.wait().unwrap().success(),
            "a recovering process failed"
        );
        let ids = std::fs::read_to_string(&out).unwrap();
        recovered.extend(ids.lines().map(|l| RunId(l.parse().unwrap())));
        c_runs += std::fs::read_to_string(&counts)
            .unwrap_or_default()
            .lines()
            .filter(|l| *l == "c")
            .count();
    }
    recovered.sort();
    assert_eq!(recovered, runs, "each run recovered by exactly one process");
    assert_eq!(c_runs, runs.len(), "each run's `c` ran once");
    rt.block_on(async {
        let store = SqliteStore::open(&db).unwrap();
        for run in runs {
            assert_eq!(
                store.get_run(run).await.unwrap().status,
                RunStatus::Succeeded
            );
        }
    });
}

// ---- Crash and resume across processes ----

const CHILD_ENV: &str = "WORKFLOW_DURABLE_CHILD";

/// The nodes of `Diamond` that end before node `k` starts: a child aborting inside `k`
/// waits until their rows are committed.
fn rows_before(k: &str) -> Vec<&'static str> {
    match k {
        "a" => vec![],
        "b" | "c" => vec!["a"],
        _ => vec!["a", "b", "c"],
    }
}

/// In the child: run `Diamond` durably on the database and abort inside node `k`, once
/// the rows of the nodes before it are committed.
fn child(spec: &str) {
    let mut parts = spec.splitn(3, '|');
    let (k, db, counts) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(db).unwrap());
        let probe = Probe {
            file: Some(counts.into()),
            abort_at: Some(k.to_owned()),
            wait_for: rows_before(k),
            store: Some(Arc::clone(&store)),
            ..Probe::default()
        };
        let runtime = runtime(store, probe);
        let _ = runtime
            .start_durable(Diamond, DiamondInput { n: 1 }, Some("crash"))
            .await;
    });
    unreachable!("node {k} aborts the process");
}

fn counts(file: &PathBuf) -> HashMap<String, u32> {
    let mut counts = HashMap::new();
    for line in std::fs::read_to_string(file).unwrap_or_default().lines() {
        *counts.entry(line.to_owned()).or_default() += 1;
    }
    counts
}

#[test]
fn crash_inside_each_node_then_resume() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        return child(&spec);
    }
    let expected = "4:[2, 3]";
    for k in NODES {
        let dir = TempDir::new(&format!("crash-{k}"));
        let (db, count_file) = (dir.file("runs.db"), dir.file("counts"));
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "durable::crash_inside_each_node_then_resume",
                "--test-threads=1",
            ])
            .env(
                CHILD_ENV,
                format!("{k}|{}|{}", db.display(), count_file.display()),
            )
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(!status.success(), "the child aborted inside {k}");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&db).unwrap());
            let runs = store.list_runs(RunFilter::default()).await.unwrap();
            assert_eq!(runs.len(), 1, "{k}");
            let recorded: Vec<String> = store
                .load_run(runs[0].id)
                .await
                .unwrap()
                .outputs
                .iter()
                .map(|r| r.path.to_string())
                .collect();
            assert!(!recorded.contains(&k.to_owned()), "{k} never finished");
            // Same owner as the child: the parent may take its run over at once.
            let runtime = runtime(
                Arc::clone(&store),
                Probe {
                    file: Some(count_file.clone()),
                    ..Probe::default()
                },
            );
            let result = runtime
                .start_durable(Diamond, DiamondInput { n: 1 }, Some("crash"))
                .await
                .unwrap();
            assert_eq!(result.run_id, runs[0].id, "{k}");
            assert_eq!(result.outputs.d, expected, "{k}");
            assert_eq!(
                result.restored(),
                recorded,
                "{k}: every recorded node restored"
            );
            let counts = counts(&count_file);
            for node in NODES {
                let n = counts.get(node).copied().unwrap_or(0);
                if recorded.iter().any(|r| r == node) {
                    assert_eq!(
                        n, 1,
                        "{k}: {node} was recorded before the abort and ran once"
                    );
                } else {
                    assert!((1..=2).contains(&n), "{k}: {node} ran {n} times");
                }
            }
            assert_eq!(
                counts.get(k).copied(),
                Some(2),
                "{k}: ran, aborted, ran again"
            );
            // Records commit while later nodes run: the child waited for these rows
            // (a recorder that committed only as the run ended would leave them out).
            for node in rows_before(k) {
                assert!(
                    recorded.iter().any(|r| r == node),
                    "{k}: {node} recorded before the abort: {recorded:?}"
                );
            }
        });
    }
}

/// A store whose record writes fail while `broken` is set, as an unreachable database
/// would; everything else goes to the inner store. It breaks itself once a batch holding
/// node `break_after` committed.
#[derive(Debug)]
struct Flaky {
    inner: Arc<dyn Store>,
    broken: std::sync::atomic::AtomicBool,
    break_after: Option<&'static str>,
    renewals: std::sync::atomic::AtomicU32,
    /// `finish_run` fails (the run's end cannot be recorded).
    finish_broken: bool,
    /// `create_run` fails (a start cannot make its run).
    create_broken: bool,
    /// `claim_run` fails (a resume cannot take the run) while set.
    claim_broken: std::sync::atomic::AtomicBool,
    /// `renew_lease` fails (a running run cannot keep its lease) while set.
    renew_broken: std::sync::atomic::AtomicBool,
    /// `list_runs` fails (`recover` cannot find the runs) while set.
    list_broken: std::sync::atomic::AtomicBool,
    /// Each record write waits this long first (a slow disk or network).
    record_delay: Duration,
    /// `claim_run` of this run fails (the others go through).
    refuse_claim_of: Option<RunId>,
    /// A record write of a batch holding this node waits until the gate opens (a
    /// process stuck, or killed, before its store took the node's row); `stalled` is set
    /// once one does.
    stall_at: Option<(&'static str, Arc<tokio::sync::Semaphore>)>,
    stalled: std::sync::atomic::AtomicBool,
}

impl Flaky {
    /// `inner`, with nothing broken and no delay.
    fn over(inner: Arc<dyn Store>) -> Self {
        Self {
            inner,
            broken: std::sync::atomic::AtomicBool::new(false),
            break_after: None,
            renewals: std::sync::atomic::AtomicU32::new(0),
            finish_broken: false,
            create_broken: false,
            claim_broken: std::sync::atomic::AtomicBool::new(false),
            renew_broken: std::sync::atomic::AtomicBool::new(false),
            list_broken: std::sync::atomic::AtomicBool::new(false),
            record_delay: Duration::ZERO,
            refuse_claim_of: None,
            stall_at: None,
            stalled: std::sync::atomic::AtomicBool::new(false),
        }
    }
}

impl Store for Flaky {
    fn create_run(
        &self,
        new: NewRun,
    ) -> futures::future::BoxFuture<'_, Result<CreatedRun, workflow_core::store::StoreError>> {
        if self.create_broken {
            return Box::pin(async { Err(down("creating a run", None)) });
        }
        self.inner.create_run(new)
    }
    fn claim_run<'a>(
        &'a self,
        run: RunId,
        owner: &'a OwnerId,
        lease: Duration,
    ) -> futures::future::BoxFuture<
        'a,
        Result<workflow_core::store::Claimed, workflow_core::store::StoreError>,
    > {
        if self.claim_broken.load(std::sync::atomic::Ordering::SeqCst)
            || self.refuse_claim_of == Some(run)
        {
            return Box::pin(async move { Err(down("claiming a run", Some(run))) });
        }
        self.inner.claim_run(run, owner, lease)
    }
    fn retry_run<'a>(
        &'a self,
        run: RunId,
        workflow: &'a str,
        owner: &'a OwnerId,
        lease: Duration,
    ) -> futures::future::BoxFuture<
        'a,
        Result<workflow_core::store::Claimed, workflow_core::store::StoreError>,
    > {
        self.inner.retry_run(run, workflow, owner, lease)
    }
    fn claim_expired<'a>(
        &'a self,
        owner: &'a OwnerId,
        lease: Duration,
        limit: usize,
    ) -> futures::future::BoxFuture<
        'a,
        Result<Vec<workflow_core::store::Claimed>, workflow_core::store::StoreError>,
    > {
        self.inner.claim_expired(owner, lease, limit)
    }
    fn renew_lease<'a>(
        &'a self,
        lease: &'a workflow_core::store::Lease,
        duration: Duration,
    ) -> futures::future::BoxFuture<
        'a,
        Result<workflow_core::store::Lease, workflow_core::store::StoreError>,
    > {
        self.renewals
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if self.renew_broken.load(std::sync::atomic::Ordering::SeqCst) {
            return Box::pin(async move { Err(down("renewing a lease", Some(lease.run))) });
        }
        self.inner.renew_lease(lease, duration)
    }
    fn record_all<'a>(
        &'a self,
        lease: &'a workflow_core::store::Lease,
        records: Vec<Record>,
    ) -> futures::future::BoxFuture<'a, Result<(), workflow_core::store::StoreError>> {
        if self.broken.load(std::sync::atomic::Ordering::SeqCst) {
            let node = records.iter().find_map(|r| match r {
                Record::Output(o) => Some(o.path.clone()),
                _ => None,
            });
            return Box::pin(async move {
                Err(workflow_core::store::StoreError::Unavailable {
                    operation: "recording",
                    run: Some(lease.run),
                    node,
                    source: "connection refused".into(),
                })
            });
        }
        let holds = |node: &str| {
            records
                .iter()
                .any(|r| matches!(r, Record::Output(o) if o.path.as_str() == node))
        };
        let trips = self.break_after.is_some_and(holds);
        let stall = self
            .stall_at
            .as_ref()
            .filter(|(node, _)| holds(node))
            .map(|(_, gate)| Arc::clone(gate));
        Box::pin(async move {
            if let Some(gate) = stall {
                self.stalled
                    .store(true, std::sync::atomic::Ordering::SeqCst);
                // Closed: the acquire fails, and the write goes on.
                let _ = gate.acquire().await;
            }
            tokio::time::sleep(self.record_delay).await;
            let result = self.inner.record_all(lease, records).await;
            if trips && result.is_ok() {
                self.broken.store(true, std::sync::atomic::Ordering::SeqCst);
            }
            result
        })
    }
    fn finish_run<'a>(
        &'a self,
        lease: &'a workflow_core::store::Lease,
        outcome: workflow_core::store::RunOutcome,
        retention: workflow_core::store::Retention,
    ) -> futures::future::BoxFuture<
        'a,
        Result<workflow_core::store::RunRecord, workflow_core::store::StoreError>,
    > {
        if self.finish_broken {
            return Box::pin(async move {
                Err(workflow_core::store::StoreError::Unavailable {
                    operation: "finishing",
                    run: Some(lease.run),
                    node: None,
                    source: "disk full".into(),
                })
            });
        }
        self.inner.finish_run(lease, outcome, retention)
    }
    fn get_run(
        &self,
        run: RunId,
    ) -> futures::future::BoxFuture<
        '_,
        Result<workflow_core::store::RunRecord, workflow_core::store::StoreError>,
    > {
        self.inner.get_run(run)
    }
    fn load_run(
        &self,
        run: RunId,
    ) -> futures::future::BoxFuture<
        '_,
        Result<workflow_core::store::RunState, workflow_core::store::StoreError>,
    > {
        self.inner.load_run(run)
    }
    fn list_runs(
        &self,
        filter: RunFilter,
    ) -> futures::future::BoxFuture<
        '_,
        Result<Vec<workflow_core::store::RunRecord>, workflow_core::store::StoreError>,
    > {
        if self.list_broken.load(std::sync::atomic::Ordering::SeqCst) {
            return Box::pin(async { Err(down("listing runs", None)) });
        }
        self.inner.list_runs(filter)
    }
    fn purge(
        &self,
        filter: workflow_core::store::PurgeFilter,
    ) -> futures::future::BoxFuture<'_, Result<u64, workflow_core::store::StoreError>> {
        self.inner.purge(filter)
    }
    fn stats(&self) -> workflow_core::store::StoreStats {
        self.inner.stats()
    }
    fn clock(&self) -> &dyn workflow_core::store::Clock {
        self.inner.clock()
    }
}

/// What [`Flaky`]'s broken operations fail with: an unreachable database.
fn down(operation: &'static str, run: Option<RunId>) -> workflow_core::store::StoreError {
    workflow_core::store::StoreError::Unavailable {
        operation,
        run,
        node: None,
        source: "connection refused".into(),
    }
}

/// A store that cannot create a run: the start is a `WorkflowError::Store` naming the
/// workflow and the operation (no run id: none was made), and no node runs. One that
/// cannot claim the run a resume asks for: an error naming the run and the operation,
/// no node runs, and the run's rows and status are as they were; once the store is
/// back, the same resume restores them and runs the rest, each node once.
#[tokio::test]
async fn a_store_failing_as_a_run_starts_or_resumes_runs_no_node() {
    let clock = ManualClock::new(Timestamp(1_000_000));
    for (kind, inner) in clocked_stores("flaky_start", &clock).await {
        let store = Arc::new(Flaky {
            create_broken: true,
            ..Flaky::over(Arc::clone(&inner))
        });
        let rt = runtime(Arc::clone(&store) as Arc<dyn Store>, Probe::default());
        let err = rt
            .start_durable(Diamond, DiamondInput { n: 1 }, Some("k"))
            .await
            .unwrap_err();
        assert!(
            matches!(
                &err,
                WorkflowError::Store {
                    run: 0,
                    node: None,
                    ..
                }
            ),
            "{kind}: {err:?}"
        );
        assert_eq!(
            err.to_string(),
            "durable workflow `Diamond`: store unavailable during creating a run: connection refused",
            "{kind}"
        );
        assert!(
            matches!(
                err.downcast_ref::<StoreError>(),
                Some(StoreError::Unavailable {
                    operation: "creating a run",
                    ..
                })
            ),
            "{kind}: {err:?}"
        );
        let probe = rt.resource::<Probe>().unwrap();
        for node in NODES {
            assert_eq!(probe.count(node), 0, "{kind}: `{node}` ran");
        }
        let runs = inner.list_runs(RunFilter::default()).await.unwrap();
        assert!(runs.is_empty(), "{kind}: {runs:?}");

        // A resume whose claim fails, of a run whose process died after `a` and `b`.
        let b = Record::Output(
            RecordedOutput::encode(RunId(0), "b".parse().unwrap(), 1, &4u64).unwrap(),
        );
        let run = interrupted_run(&inner, b).await;
        clock.advance(Duration::from_secs(11));
        let store = Arc::new(Flaky::over(Arc::clone(&inner)));
        store
            .claim_broken
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let rt = runtime(Arc::clone(&store) as Arc<dyn Store>, Probe::default());
        let err = rt.resume(Diamond, run).await.unwrap_err();
        // The run named once (the store's error named it again: ".. claiming a run for
        // run 5: .."), and `{:#}` (anyhow's chain) adds nothing `{}` said.
        let text = format!("durable run {run} of workflow `Diamond`: store unavailable during claiming a run: connection refused");
        assert_eq!(err.to_string(), text, "{kind}");
        assert_eq!(format!("{err:#}"), text, "{kind}");
        let probe = rt.resource::<Probe>().unwrap();
        for node in NODES {
            assert_eq!(probe.count(node), 0, "{kind}: `{node}` ran");
        }
        let state = inner.load_run(run).await.unwrap();
        assert_eq!(state.run.status, RunStatus::Running, "{kind}");
        assert_eq!(state.run.owner, Some(OwnerId::new("dead")), "{kind}");
        let rows: Vec<&str> = state.outputs.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(rows, ["a", "b"], "{kind}");

        store
            .claim_broken
            .store(false, std::sync::atomic::Ordering::SeqCst);
        let resumed = rt.resume(Diamond, run).await.unwrap();
        assert_eq!(resumed.outputs.d, "4:[2, 3]", "{kind}");
        assert_eq!(resumed.restored(), ["a", "b"], "{kind}");
        for (node, runs) in [("a", 0), ("b", 0), ("c", 1), ("d", 1)] {
            assert_eq!(probe.count(node), runs, "{kind}: `{node}`");
        }
    }
}

/// `recover` whose claim of one expired run fails with a store error (not another
/// owner's lease): as its docs say, that run's entry is the error naming it and the
/// claim, and the other expired runs are resumed. It returned `Err` for the whole call,
/// and the runs it had claimed before were left claimed by this owner and not resumed
/// (for another recoverer, until their new lease expired).
#[tokio::test]
async fn a_claim_failing_in_recover_is_that_runs_entry_and_the_others_resume() {
    let clock = ManualClock::new(Timestamp(1_000_000));
    for (kind, inner) in clocked_stores("recover_claim", &clock).await {
        let b = || {
            Record::Output(
                RecordedOutput::encode(RunId(0), "b".parse().unwrap(), 1, &4u64).unwrap(),
            )
        };
        let mut runs = Vec::new();
        for _ in 0..3 {
            runs.push(interrupted_run(&inner, b()).await);
        }
        clock.advance(Duration::from_secs(11));
        let store = Arc::new(Flaky {
            refuse_claim_of: Some(runs[1]),
            ..Flaky::over(Arc::clone(&inner))
        });
        let rt = runtime(Arc::clone(&store) as Arc<dyn Store>, Probe::default());
        let mut recovered = rt
            .recover(Diamond)
            .await
            .unwrap_or_else(|e| panic!("{kind}: one run's claim failed the whole recover: {e}"));
        recovered.sort_by_key(|(id, _)| id.0);
        let ids: Vec<RunId> = recovered.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, runs, "{kind}");
        for (id, result) in recovered {
            match result {
                Err(err) if id == runs[1] => assert_eq!(
                    err.to_string(),
                    format!("durable run {id} of workflow `Diamond`: store unavailable during claiming a run: connection refused"),
                    "{kind}"
                ),
                Ok(run) if id != runs[1] => assert_eq!(run.outputs.d, "4:[2, 3]", "{kind}"),
                other => panic!("{kind}: run {id}: {:?}", other.err()),
            }
        }
    }
}

/// `recover` whose store cannot list the running runs: the call's error (not an entry),
/// naming the workflow and the listing (no run: none was found), once in `{}` and in
/// `{:#}`; nothing is claimed or run, the dead run's rows, status and owner are as they
/// were, and the same `recover` resumes it once the store lists again.
#[tokio::test]
async fn a_recover_whose_store_cannot_list_runs_fails_and_claims_nothing() {
    let clock = ManualClock::new(Timestamp(1_000_000));
    for (kind, inner) in clocked_stores("recover_list", &clock).await {
        let b = Record::Output(
            RecordedOutput::encode(RunId(0), "b".parse().unwrap(), 1, &4u64).unwrap(),
        );
        let run = interrupted_run(&inner, b).await;
        clock.advance(Duration::from_secs(11));
        let store = Arc::new(Flaky::over(Arc::clone(&inner)));
        store
            .list_broken
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let rt = runtime(Arc::clone(&store) as Arc<dyn Store>, Probe::default());
        let err = rt.recover(Diamond).await.unwrap_err();
        assert!(
            matches!(
                &err,
                WorkflowError::Store {
                    run: 0,
                    node: None,
                    run_error: None,
                    ..
                }
            ),
            "{kind}: {err:?}"
        );
        let text =
            "durable workflow `Diamond`: store unavailable during listing runs: connection refused";
        assert_eq!(err.to_string(), text, "{kind}");
        assert_eq!(format!("{err:#}"), text, "{kind}");
        assert!(
            matches!(
                err.downcast_ref::<StoreError>(),
                Some(StoreError::Unavailable {
                    operation: "listing runs",
                    ..
                })
            ),
            "{kind}: {err:?}"
        );
        let probe = rt.resource::<Probe>().unwrap();
        for node in NODES {
            assert_eq!(probe.count(node), 0, "{kind}: `{node}` ran");
        }
        let state = inner.load_run(run).await.unwrap();
        assert_eq!(state.run.status, RunStatus::Running, "{kind}");
        assert_eq!(state.run.owner, Some(OwnerId::new("dead")), "{kind}");
        let rows: Vec<&str> = state.outputs.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(rows, ["a", "b"], "{kind}");

        store
            .list_broken
            .store(false, std::sync::atomic::Ordering::SeqCst);
        let recovered = rt.recover(Diamond).await.unwrap();
        assert_eq!(recovered.len(), 1, "{kind}");
        let (id, result) = recovered.into_iter().next().unwrap();
        assert_eq!(id, run, "{kind}");
        let resumed = result.unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!(resumed.outputs.d, "4:[2, 3]", "{kind}");
        assert_eq!(resumed.restored(), ["a", "b"], "{kind}");
        for (node, runs) in [("a", 0), ("b", 0), ("c", 1), ("d", 1)] {
            assert_eq!(probe.count(node), runs, "{kind}: `{node}`");
        }
    }
}

#[node]
async fn quick(n: u64) -> u64 {
    n + 1
}

workflow! {
    #[workflow(durable)]
    struct QuickThenSlow {
        input n: u64,
        a = quick(n: n),
        out = slow(n: a),
    }
}

/// A lease renewal that fails while a node runs (paused clock: the first renewal, at a
/// third of the 3 s lease): the run stops there, its error names the run and the
/// renewal, nothing hangs, and what finished before (`a`) stays recorded; once the store
/// is back, a resume restores `a` and runs `out` again.
#[tokio::test(start_paused = true)]
async fn a_lease_renewal_that_fails_mid_run_stops_it_and_keeps_what_finished() {
    let inner: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let store = Arc::new(Flaky::over(Arc::clone(&inner)));
    store
        .renew_broken
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let rt = Runtime::builder()
        .store_arc(Arc::clone(&store) as Arc<dyn Store>)
        .lease(Duration::from_secs(3))
        .build();
    let started = tokio::time::Instant::now();
    let err = rt
        .start_durable(QuickThenSlow, QuickThenSlowInput { n: 1 }, None)
        .await
        .unwrap_err();
    assert_eq!(started.elapsed(), Duration::from_secs(1), "{err}");
    let WorkflowError::Store {
        run, node: None, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    let run = RunId(*run);
    let text = format!("durable run {run} of workflow `QuickThenSlow`: store unavailable during renewing a lease: connection refused");
    assert_eq!(err.to_string(), text);
    assert_eq!(format!("{err:#}"), text);
    assert_eq!(store.renewals.load(std::sync::atomic::Ordering::SeqCst), 1);
    let state = inner.load_run(run).await.unwrap();
    assert_eq!(state.run.status, RunStatus::Running, "resumable");
    let rows: Vec<&str> = state.outputs.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(rows, ["a"]);
    assert_eq!(rt.active_runs(), 0);

    store
        .renew_broken
        .store(false, std::sync::atomic::Ordering::SeqCst);
    let resumed = rt.resume(QuickThenSlow, run).await.unwrap();
    assert_eq!(resumed.outputs.out, 2);
    assert_eq!(resumed.restored(), ["a"]);
}

/// A process that dies between a node's end and its store's record of it: the store
/// never takes the batch holding `b` (its write hangs), so the run, which waits for its
/// records before it ends, never ends, and is dropped once every node ran. A runtime of
/// another owner resumes it once its lease expired: exactly the rows the store holds are
/// restored (never `b`'s), and every other node runs once more, no node twice. The dead
/// run's write, let go after that, is refused by the store (its lease is gone): the run
/// stays as the resume left it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_dropped_before_its_store_took_a_nodes_row_resumes_that_node_once() {
    let clock = ManualClock::new(Timestamp(1_000_000));
    for (kind, inner) in clocked_stores("crash_record", &clock).await {
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let store = Arc::new(Flaky {
            stall_at: Some(("b", Arc::clone(&gate))),
            ..Flaky::over(Arc::clone(&inner))
        });
        let dead = runtime(Arc::clone(&store) as Arc<dyn Store>, Probe::default());
        let run = tokio::spawn({
            let dead = dead.clone();
            async move {
                dead.start_durable(Diamond, DiamondInput { n: 1 }, None)
                    .await
                    .map(|r| r.run_id)
            }
        });
        let probe = dead.resource::<Probe>().unwrap();
        // A bounded poll: every node ran and `b`'s write hangs (not a measure of time).
        for _ in 0..10_000 {
            if probe.count("d") == 1 && store.stalled.load(Ordering::SeqCst) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert!(
            probe.count("d") == 1 && store.stalled.load(Ordering::SeqCst),
            "{kind}: the run never reached `b`'s write"
        );
        tokio::task::yield_now().await;
        assert!(!run.is_finished(), "{kind}: ended without `b`'s row");
        run.abort();
        assert!(run.await.unwrap_err().is_cancelled(), "{kind}");

        let listed = inner.list_runs(RunFilter::default()).await.unwrap();
        let [row] = listed.as_slice() else {
            panic!("{kind}: {listed:?}")
        };
        let id = row.id;
        let recorded = crate::support::paths(&inner, id).await;
        assert!(
            recorded.iter().all(|n| n == "a" || n == "c"),
            "{kind}: `b`'s batch was never taken, `d` came after it: {recorded:?}"
        );

        clock.advance(Duration::from_secs(31));
        let next = Runtime::builder()
            .store_arc(Arc::clone(&inner))
            .owner(OwnerId::new("next"))
            .resource(Probe::default())
            .build();
        let resumed = next.resume(Diamond, id).await.unwrap();
        assert_eq!(resumed.outputs.d, "4:[2, 3]", "{kind}");
        let restored: std::collections::BTreeSet<String> =
            resumed.restored().into_iter().map(str::to_owned).collect();
        assert_eq!(restored, recorded, "{kind}");
        let again = next.resource::<Probe>().unwrap();
        for node in NODES {
            assert_eq!(probe.count(node), 1, "{kind}: `{node}` before the crash");
            let expected = u32::from(!recorded.contains(node));
            assert_eq!(
                again.count(node),
                expected,
                "{kind}: `{node}` on resume (recorded: {recorded:?})"
            );
        }

        // The dead run's write goes on now: refused, nothing changes.
        gate.close();
        tokio::time::timeout(Duration::from_secs(60), dead.shutdown())
            .await
            .expect("the dead run's recorder ends once its write is refused");
        let state = inner.load_run(id).await.unwrap();
        assert_eq!(state.run.status, RunStatus::Succeeded, "{kind}");
        assert!(state.outputs.is_empty(), "{kind}: {:?}", state.outputs);
    }
}

/// Two runtimes (two owners) resume the same run at once: one claims and drives it, the
/// other gets a typed store error (the lease is held, or the run finished by the time it
/// looked) and runs no node; every node that was not recorded runs once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runtimes_resuming_one_run_at_once_run_its_nodes_once() {
    let clock = ManualClock::new(Timestamp(1_000_000));
    for (kind, store) in clocked_stores("resume2", &clock).await {
        for round in 0..5 {
            let b = Record::Output(
                RecordedOutput::encode(RunId(0), "b".parse().unwrap(), 1, &4u64).unwrap(),
            );
            let run = interrupted_run(&store, b).await;
            clock.advance(Duration::from_secs(11));
            let runtimes = ["one", "two"].map(|owner| {
                Runtime::builder()
                    .store_arc(Arc::clone(&store))
                    .owner(OwnerId::new(owner))
                    .resource(Probe::default())
                    .build()
            });
            let (first, second) = tokio::join!(
                runtimes[0].resume(Diamond, run),
                runtimes[1].resume(Diamond, run)
            );
            let (winner, won, err) = match (first, second) {
                (Ok(won), Err(err)) => (0, won, err),
                (Err(err), Ok(won)) => (1, won, err),
                (a, b) => panic!(
                    "{kind} round {round}: not one winner: {:?} {:?}",
                    a.err(),
                    b.err()
                ),
            };
            let loser = 1 - winner;
            assert_eq!(won.outputs.d, "4:[2, 3]", "{kind}");
            assert_eq!(won.restored(), ["a", "b"], "{kind}");
            let WorkflowError::Store { run: named, .. } = &err else {
                panic!("{kind} round {round}: {err:?}")
            };
            assert_eq!(RunId(*named), run, "{kind}: {err}");
            assert!(
                matches!(
                    err.downcast_ref::<StoreError>(),
                    Some(StoreError::LeaseHeld { .. } | StoreError::Finished { .. })
                ),
                "{kind} round {round}: {err}"
            );
            let count = |rt: usize, node| runtimes[rt].resource::<Probe>().unwrap().count(node);
            for node in NODES {
                assert_eq!(count(loser, node), 0, "{kind}: `{node}` ran in the loser");
            }
            for (node, runs) in [("a", 0), ("b", 0), ("c", 1), ("d", 1)] {
                assert_eq!(count(winner, node), runs, "{kind}: `{node}`");
            }
        }
    }
}

/// The store fails once `a` is recorded: the run stops with an error naming the run and
/// the node whose record failed, `a`'s row stays, and once the store is back the same
/// run resumes from it.
#[tokio::test]
async fn a_store_failure_mid_run_stops_it_and_loses_nothing_recorded() {
    let clock = ManualClock::new(Timestamp(1_000_000));
    for (kind, inner) in clocked_stores("flaky", &clock).await {
        let store = Arc::new(Flaky {
            break_after: Some("a"),
            ..Flaky::over(inner)
        });
        let rt = runtime(Arc::clone(&store) as Arc<dyn Store>, Probe::default());
        let result = rt.start_durable(Diamond, DiamondInput { n: 1 }, None).await;
        let err = result.unwrap_err();
        let WorkflowError::Store { run, node, .. } = &err else {
            panic!("{kind}: {err:?}")
        };
        assert!(
            node.as_ref().is_some_and(|n| n != "a"),
            "{kind}: names the node whose record failed: {err}"
        );
        assert!(
            err.to_string().contains("connection refused"),
            "{kind}: {err}"
        );
        let run = RunId(*run);
        let state = store.inner.load_run(run).await.unwrap();
        assert_eq!(state.run.status, RunStatus::Running, "{kind}: resumable");
        assert_eq!(state.outputs[0].path.as_str(), "a", "{kind}");
        // The store is back: the same owner resumes at once.
        store
            .broken
            .store(false, std::sync::atomic::Ordering::SeqCst);
        let resumed = rt.resume(Diamond, run).await.unwrap();
        assert_eq!(resumed.outputs.d, "4:[2, 3]", "{kind}");
        assert!(resumed.restored().contains(&"a"), "{kind}");
    }
}

#[node]
async fn seeds(n: u64) -> Vec<u64> {
    (0..n).collect()
}

#[node]
async fn square(x: u64) -> u64 {
    // Later than `xs`'s record, whose batch breaks the store.
    tokio::time::sleep(Duration::from_millis(20)).await;
    x * x
}

workflow! {
    #[workflow(durable)]
    struct Squares {
        input n: u64,
        xs = seeds(n: n),
        ys = for x in xs {
            y = square(x: x),
        } => y,
    }
}

/// A record of a fan-out item's node that fails names that node by its path in the
/// error (`ys[0].y`), as the error of any other node of an item does.
#[tokio::test]
async fn a_store_failure_in_a_fan_out_item_names_the_items_node() {
    let store = Arc::new(Flaky {
        break_after: Some("xs"),
        ..Flaky::over(Arc::new(MemoryStore::new()))
    });
    let rt = runtime(Arc::clone(&store) as Arc<dyn Store>, Probe::default());
    let err = rt
        .start_durable(Squares, SquaresInput { n: 3 }, None)
        .await
        .unwrap_err();
    let WorkflowError::Store { node, .. } = &err else {
        panic!("{err:?}")
    };
    let node = node
        .as_deref()
        .unwrap_or_else(|| panic!("no node named: {err}"));
    assert!(
        node.starts_with("ys[") && node.ends_with("].y"),
        "the item's node by its path: {err}"
    );
    assert_eq!(err.node(), Some(node));
    assert!(err.to_string().contains(&format!("node `{node}`")), "{err}");
}

#[node]
async fn slow(n: u64) -> u64 {
    tokio::time::sleep(Duration::from_secs(10)).await;
    n
}

workflow! {
    #[workflow(durable)]
    struct Slow {
        input n: u64,
        out = slow(n: n),
    }
}

/// A run longer than its lease renews it every third of the lease (paused clock).
#[tokio::test(start_paused = true)]
async fn a_running_run_renews_its_lease() {
    let store = Arc::new(Flaky::over(Arc::new(MemoryStore::new())));
    let rt = Runtime::builder()
        .store_arc(Arc::clone(&store) as Arc<dyn Store>)
        .lease(Duration::from_secs(3))
        .build();
    let run = rt
        .start_durable(Slow, SlowInput { n: 7 }, None)
        .await
        .unwrap();
    assert_eq!(run.outputs.out, 7);
    let renewals = store.renewals.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        (9..=11).contains(&renewals),
        "10 s at one renewal per second: {renewals}"
    );
}

#[node]
async fn checkpoint_first(n: u32) -> u32 {
    n + 1
}

#[node]
async fn checkpoint_slow(n: u32) -> u32 {
    tokio::time::sleep(Duration::from_secs(10)).await;
    n
}

workflow! {
    #[workflow(durable)]
    struct FirstCheckpoint {
        input n: u32,
        a = checkpoint_first(n),
        b = checkpoint_slow(n: a),
    }
}

/// Under the paused clock a `MemoryStore` answers within tokio, so a virtual timeout that
/// drops the run while its second node sleeps finds the first node recorded (the
/// recorder commits what was queued after the run's future is gone). With SQLite the
/// clock may jump past the timeout while the run's row is being created, before any
/// node ran: documented on `SqliteStore` and in the README, not a lost record.
#[tokio::test(start_paused = true)]
async fn a_timeout_under_the_paused_clock_keeps_the_first_checkpoint() {
    let rt = Runtime::builder()
        .store(MemoryStore::new())
        .keep_records(true)
        .build();
    let dropped = tokio::time::timeout(
        Duration::from_secs(1),
        rt.start_durable(
            FirstCheckpoint,
            FirstCheckpointInput { n: 4 },
            Some("first"),
        ),
    )
    .await;
    assert!(dropped.is_err(), "b sleeps for 10 s");
    // The recorder is a task of its own: let it commit what the run queued.
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    let store = Arc::clone(rt.store().unwrap());
    let runs = store.list_runs(RunFilter::default()).await.unwrap();
    assert_eq!(runs.len(), 1);
    let state = store.load_run(runs[0].id).await.unwrap();
    let paths: Vec<String> = state.outputs.iter().map(|o| o.path.to_string()).collect();
    assert_eq!(paths, ["a"]);
    let run = rt.resume(FirstCheckpoint, runs[0].id).await.unwrap();
    assert_eq!(run.outputs.b, 5);
    assert_eq!(run.restored(), ["a"]);
}

static SLOW_FIRST_CALLS: AtomicUsize = AtomicUsize::new(0);

#[node]
async fn slow_first(n: u32) -> u32 {
    SLOW_FIRST_CALLS.fetch_add(1, Ordering::SeqCst);
    n + 1
}

workflow! {
    #[workflow(durable)]
    struct SlowRecords {
        input n: u32,
        a = slow_first(n),
        b = checkpoint_slow(n: a),
    }
}

/// A run cut by a timeout while its first node's record is still being written (a slow
/// store), then started again at once with its key: the recorder of the dropped run
/// commits `a` before the new drive loads the run, so `a` is restored, not run a second
/// time. And `Runtime::shutdown` waits for such a recorder: what the run queued is
/// committed when it returns. (Before, the new drive loaded the run while `a`'s record
/// was in flight and ran `a` again; found as 1 in 40 with SQLite, every time here.)
#[tokio::test(start_paused = true)]
async fn a_run_resumed_at_once_after_a_timeout_waits_for_its_records_in_flight() {
    let store = Arc::new(Flaky {
        record_delay: Duration::from_secs(5),
        ..Flaky::over(Arc::new(MemoryStore::new()))
    });
    let rt = Runtime::builder()
        .store_arc(store.clone())
        .keep_records(true)
        .build();
    let input = || SlowRecordsInput { n: 1 };
    let cut = tokio::time::timeout(
        Duration::from_secs(1),
        rt.start_durable(SlowRecords, input(), Some("slow")),
    )
    .await;
    assert!(cut.is_err(), "b sleeps for 10 s");
    assert_eq!(SLOW_FIRST_CALLS.load(Ordering::SeqCst), 1);
    let run = rt
        .start_durable(SlowRecords, input(), Some("slow"))
        .await
        .unwrap();
    assert_eq!(run.restored(), ["a"]);
    assert_eq!(SLOW_FIRST_CALLS.load(Ordering::SeqCst), 1, "a ran once");
    assert_eq!(run.outputs.b, 2);

    // Cut again (another key), then shut down: the records in flight are committed.
    let cut = tokio::time::timeout(
        Duration::from_secs(1),
        rt.start_durable(SlowRecords, input(), Some("slow-2")),
    )
    .await;
    assert!(cut.is_err());
    rt.shutdown().await;
    let runs = store
        .list_runs(RunFilter {
            status: Some(RunStatus::Running),
            ..RunFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(runs.len(), 1);
    let state = store.load_run(runs[0].id).await.unwrap();
    let paths: Vec<String> = state.outputs.iter().map(|o| o.path.to_string()).collect();
    assert_eq!(paths, ["a"]);
}

#[derive(Debug, thiserror::Error)]
#[error("refused {0}")]
struct Refused(u64);

#[node]
async fn refuse(n: u64) -> Result<u64, Refused> {
    Err(Refused(n))
}

workflow! {
    #[workflow(durable)]
    struct Refusing {
        input n: u64,
        r = refuse(n: n),
    }
}

/// A run that failed by itself, whose end the store then fails to record: the error is
/// the store's (the run stays unfinished, resumable) and keeps the run's own error, so
/// the node, its message and its type are not lost.
#[tokio::test]
async fn a_failed_run_whose_end_is_not_recorded_keeps_its_own_error() {
    let store = Arc::new(Flaky {
        finish_broken: true,
        ..Flaky::over(Arc::new(MemoryStore::new()))
    });
    let rt = runtime(Arc::clone(&store) as Arc<dyn Store>, Probe::default());
    let err = rt
        .start_durable(Refusing, RefusingInput { n: 7 }, None)
        .await
        .unwrap_err();
    let WorkflowError::Store {
        run,
        node: None,
        run_error: Some(own),
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert!(
        matches!(&**own, WorkflowError::NodeFailed { node, attempts: 1, .. } if node == "r"),
        "{own:?}"
    );
    assert_eq!(err.node(), Some("r"));
    assert_eq!(err.downcast_ref::<Refused>().map(|r| r.0), Some(7));
    // The run named once: the store's error leaves it out inside the run's.
    assert_eq!(
        err.to_string(),
        format!(
            "durable run {run} of workflow `Refusing`: store unavailable during finishing: disk full (after the run itself failed: node `r` of workflow `Refusing` failed after 1 attempt(s): refused 7)",
        )
    );
    let state = store.inner.load_run(RunId(*run)).await.unwrap();
    assert_eq!(state.run.status, RunStatus::Running, "resumable");
}

/// Whether `gated` fails (its dependency is down).
struct Gate(std::sync::atomic::AtomicBool);

#[node]
async fn gated(x: u64, gate: Res<Gate>, probe: Res<Probe>) -> Result<u64, Refused> {
    probe.visit("b").await;
    if gate.0.load(std::sync::atomic::Ordering::SeqCst) {
        Err(Refused(x))
    } else {
        Ok(x * 10)
    }
}

#[node]
async fn last(y: u64, probe: Res<Probe>) -> u64 {
    probe.visit("c").await;
    y + 1
}

workflow! {
    /// a → b (fails while the gate is shut) → c.
    #[workflow(durable)]
    struct Gated {
        input n: u64,
        a = first(n: n),
        b = gated(x: a),
        c = last(y: b),
    }
}

fn gated_runtime(store: Arc<dyn Store>) -> Runtime {
    Runtime::builder()
        .store_arc(store)
        .owner(OwnerId::new("test"))
        .resource(Probe::default())
        .resource(Gate(std::sync::atomic::AtomicBool::new(true)))
        .build()
}

fn open_gate(rt: &Runtime, down: bool) {
    let gate = rt.resource::<Gate>().unwrap();
    gate.0.store(down, std::sync::atomic::Ordering::SeqCst);
}

/// The source of a `WorkflowError::Store`, as the store's error.
fn store_source(err: &WorkflowError) -> &workflow_core::store::StoreError {
    let WorkflowError::Store { source, .. } = err else {
        panic!("{err:?}")
    };
    source
        .downcast_ref::<workflow_core::store::StoreError>()
        .unwrap_or_else(|| panic!("{err:?}"))
}

/// A failed run is run again from where it failed, under its id: the node that finished
/// is restored, the failed one and the one after it run; the key then names the
/// succeeded run; a run that fails again keeps both failures.
#[tokio::test]
async fn a_failed_run_is_retried_from_where_it_failed() {
    for (kind, store) in stores("retry").await {
        let rt = gated_runtime(Arc::clone(&store));
        let probe = rt.resource::<Probe>().unwrap();
        let err = rt
            .start_durable(Gated, GatedInput { n: 1 }, Some("order-7"))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, WorkflowError::NodeFailed { node, .. } if node == "b"),
            "{kind}: {err:?}"
        );
        let run = store.list_runs(RunFilter::default()).await.unwrap()[0].id;
        // The key answers with the failure, and says how to run it again.
        let again = rt
            .start_durable(Gated, GatedInput { n: 1 }, Some("order-7"))
            .await
            .unwrap_err();
        assert!(
            again
                .to_string()
                .contains(&format!("`Runtime::retry(.., RunId({}))`", run.0)),
            "{kind}: {again}"
        );
        // Still down: it fails again, both failures kept, `a` still not run again.
        let err = rt.retry(Gated, run).await.unwrap_err();
        assert!(
            matches!(&err, WorkflowError::NodeFailed { node, .. } if node == "b"),
            "{kind}: {err:?}"
        );
        assert_eq!(
            (probe.count("a"), probe.count("b"), probe.count("c")),
            (1, 2, 0),
            "{kind}"
        );
        open_gate(&rt, false);
        let retried = rt.retry(Gated, run).await.unwrap();
        assert_eq!(retried.run_id, run, "{kind}");
        assert_eq!(retried.outputs.c, 21, "{kind}");
        assert_eq!(retried.restored(), ["a"], "{kind}");
        assert_eq!(
            (probe.count("a"), probe.count("b"), probe.count("c")),
            (1, 3, 1),
            "{kind}"
        );
        let state = store.load_run(run).await.unwrap();
        assert_eq!(
            (state.run.status, state.run.claims),
            (RunStatus::Succeeded, 3),
            "{kind}"
        );
        let errors: Vec<&str> = state.attempts.iter().map(|a| &*a.error).collect();
        assert_eq!(errors.len(), 2, "{kind}");
        assert!(
            errors.iter().all(|e| e.contains("refused 2")),
            "{kind}: {errors:?}"
        );
        // The key now names a succeeded run: its outputs, nothing runs.
        let by_key = rt
            .start_durable(Gated, GatedInput { n: 1 }, Some("order-7"))
            .await
            .unwrap();
        assert_eq!((by_key.run_id, by_key.outputs.c), (run, 21), "{kind}");
        assert!(by_key.report.is_none(), "{kind}");
        assert_eq!(probe.count("c"), 1, "{kind}");
    }
}

/// Retrying what is not a failed run of this workflow is a typed error that changes
/// nothing: an unknown run, a running one, a succeeded one, another workflow's.
#[tokio::test]
async fn retrying_what_is_not_a_failed_run_of_the_workflow_is_refused() {
    use workflow_core::store::StoreError;
    for (kind, store) in stores("retry_misuse").await {
        let rt = gated_runtime(Arc::clone(&store));
        let err = rt.retry(Gated, RunId(9_999)).await.unwrap_err();
        assert!(
            matches!(store_source(&err), StoreError::NotFound { .. }),
            "{kind}: {err}"
        );
        // Running (its owner died before its lease ran out).
        let b = RecordedOutput::encode(RunId(0), "b".parse().unwrap(), 1, &4u64).unwrap();
        let running = interrupted_run(&store, Record::Output(b)).await;
        let err = rt.retry(Diamond, running).await.unwrap_err();
        assert!(
            matches!(
                store_source(&err),
                StoreError::NotFailed {
                    status: RunStatus::Running,
                    ..
                }
            ),
            "{kind}: {err}"
        );
        assert!(err.to_string().contains("Runtime::resume"), "{kind}: {err}");
        // Another workflow's failed run.
        let failed_run = rt
            .start_durable(Gated, GatedInput { n: 1 }, None)
            .await
            .unwrap_err();
        let WorkflowError::NodeFailed { .. } = failed_run else {
            panic!("{kind}: {failed_run:?}")
        };
        let failed = store
            .list_runs(RunFilter {
                status: Some(RunStatus::Failed),
                ..RunFilter::default()
            })
            .await
            .unwrap()[0]
            .clone();
        let err = rt.retry(Diamond, failed.id).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "durable run {0} of workflow `Diamond`: it is a run of workflow `Gated`, not of `Diamond`",
                failed.id
            ),
            "{kind}"
        );
        assert_eq!(store.get_run(failed.id).await.unwrap(), failed, "{kind}");
        // Succeeded.
        let ok = rt
            .start_durable(Diamond, DiamondInput { n: 1 }, None)
            .await
            .unwrap();
        let err = rt.retry(Diamond, ok.run_id).await.unwrap_err();
        assert!(
            matches!(
                store_source(&err),
                StoreError::NotFailed {
                    status: RunStatus::Succeeded,
                    ..
                }
            ),
            "{kind}: {err}"
        );
    }
}

/// The store's typed error is what `WorkflowError::downcast_ref` / `downcast` find in a
/// `WorkflowError::Store`, as they find a node's error in a `NodeFailed` (they found
/// nothing there: only a match on the variant and a downcast of its `source` reached it).
#[tokio::test]
async fn a_store_error_is_found_by_downcast() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let rt = gated_runtime(store);
    let err = rt.retry(Gated, RunId(9_999)).await.unwrap_err();
    assert!(
        matches!(
            err.downcast_ref::<StoreError>(),
            Some(StoreError::NotFound { run: RunId(9_999) })
        ),
        "{err:?}"
    );
    assert!(err.downcast_ref::<std::io::Error>().is_none());
    let err = err.downcast::<std::io::Error>().unwrap_err();
    let found: StoreError = err.downcast().unwrap();
    assert!(matches!(found, StoreError::NotFound { .. }), "{found:?}");
}

/// Resuming another workflow's run, or a run the store does not have, is refused before
/// anything is claimed: the run's row (its owner, its expired lease) is left as it was, so
/// its own workflow's `recover` takes it at once.
#[tokio::test]
async fn resuming_another_workflows_run_is_refused_without_claiming_it() {
    use workflow_core::store::StoreError;
    let clock = ManualClock::new(Timestamp(1_000_000));
    for (kind, store) in clocked_stores("resume_misuse", &clock).await {
        let rt = gated_runtime(Arc::clone(&store));
        let err = rt.resume(Diamond, RunId(9_999)).await.unwrap_err();
        assert!(
            matches!(
                store_source(&err),
                StoreError::NotFound { run: RunId(9_999) }
            ),
            "{kind}: {err}"
        );
        let b = RecordedOutput::encode(RunId(0), "b".parse().unwrap(), 1, &4u64).unwrap();
        let run = interrupted_run(&store, Record::Output(b)).await;
        clock.advance(Duration::from_secs(60)); // its owner's lease has expired
        let before = store.get_run(run).await.unwrap();

        let err = rt.resume(Gated, run).await.unwrap_err();
        let StoreError::WrongWorkflow {
            workflow, expected, ..
        } = store_source(&err)
        else {
            panic!("{kind}: {err:?}")
        };
        assert_eq!((&**workflow, &**expected), ("Diamond", "Gated"), "{kind}");
        assert_eq!(
            err.to_string(),
            format!(
                "durable run {run} of workflow `Gated`: it is a run of workflow `Diamond`, not of `Gated`"
            ),
            "{kind}"
        );
        assert_eq!(
            store.get_run(run).await.unwrap(),
            before,
            "{kind}: unchanged"
        );

        // Its own workflow recovers it at once (it was not leased to the refused caller).
        let recovered = rt.recover(Diamond).await.unwrap();
        assert_eq!(recovered.len(), 1, "{kind}");
        assert_eq!(recovered[0].0, run, "{kind}");
        let resumed = recovered.into_iter().next().unwrap().1.unwrap();
        assert_eq!(resumed.restored(), ["a", "b"], "{kind}");
    }
}

/// A retry that cannot start (here: the workflow's input type changed since the run
/// started) fails the run again with that error, rather than leaving it running for
/// nobody; the first failure stays in its attempts and it can be retried again.
#[tokio::test]
async fn a_retry_that_cannot_start_fails_the_run_again() {
    use workflow_core::store::{Retention, RunOutcome};
    for (kind, store) in stores("retry_cannot_start").await {
        let rt = gated_runtime(Arc::clone(&store));
        let current = <Gated as workflow_core::DurableWorkflow>::FINGERPRINT;
        let recorded = current.replace("input n: u64", "input n: u32");
        assert_ne!(recorded, current);
        let created = store
            .create_run(NewRun {
                workflow: "Gated".into(),
                fingerprint: GraphFingerprint(recorded),
                input: workflow_core::store::encode(&[1u64], None, "input").unwrap(),
                idempotency_key: None,
                owner: OwnerId::new("old"),
                lease: Duration::from_secs(10),
            })
            .await
            .unwrap();
        let CreatedRun::New(claimed) = created else {
            panic!("new run")
        };
        let run = claimed.run.id;
        let failed = RunOutcome::Failed {
            error: "first failure".into(),
        };
        store
            .finish_run(&claimed.lease, failed, Retention::DeleteOnSuccess)
            .await
            .unwrap();
        let err = rt.retry(Gated, run).await.unwrap_err();
        assert!(
            err.to_string()
                .contains("inputs changed since the run started (input n)"),
            "{kind}: {err}"
        );
        let state = store.load_run(run).await.unwrap();
        assert_eq!(state.run.status, RunStatus::Failed, "{kind}");
        assert_eq!(state.run.error, Some(err.to_string()), "{kind}");
        let errors: Vec<&str> = state.attempts.iter().map(|a| &*a.error).collect();
        assert_eq!(errors, ["first failure"], "{kind}");
        assert_eq!(rt.resource::<Probe>().unwrap().count("a"), 0, "{kind}");
        // Still retryable (and still refused the same way).
        assert!(rt.retry(Gated, run).await.is_err(), "{kind}");
        assert_eq!(
            store.load_run(run).await.unwrap().attempts.len(),
            2,
            "{kind}"
        );
    }
}

/// `{}` and `{:#}` of `err` are both `expected` (the store's error has no cause below
/// what `{}` prints), and the run's id is in it once.
fn pinned(kind: &str, err: &WorkflowError, run: RunId, expected: &str) {
    assert_eq!(err.to_string(), expected, "{kind}");
    assert_eq!(format!("{err:#}"), expected, "{kind}");
    assert_eq!(
        expected.matches(&format!("run {run}")).count(),
        1,
        "{kind}: {expected}"
    );
}

/// A store's error about the run (not found, leased, finished, not failed, another
/// workflow's, a row that no longer decodes) inside that run's error names the run, and
/// the node, once: `durable run 9999 of workflow `Diamond`: not found in the store`,
/// where it said `.. `Diamond`: run 9999 not found in the store` (and `.., node `b`:
/// cannot decode b of run 5 as ..`). The store's error taken out of it still names its
/// run.
#[tokio::test]
async fn a_store_error_about_the_run_names_the_run_once_in_its_error() {
    let clock = ManualClock::new(Timestamp(1_000_000));
    for (kind, store) in clocked_stores("about_the_run", &clock).await {
        let rt = gated_runtime(Arc::clone(&store));
        let err = rt.resume(Diamond, RunId(9_999)).await.unwrap_err();
        pinned(
            kind,
            &err,
            RunId(9_999),
            "durable run 9999 of workflow `Diamond`: not found in the store",
        );
        assert_eq!(
            store_source(&err).to_string(),
            "run 9999 not found in the store",
            "{kind}"
        );

        // Leased to its (dead) owner, whose lease has not run out.
        let b = RecordedOutput::encode(RunId(0), "b".parse().unwrap(), 1, &4u64).unwrap();
        let run = interrupted_run(&store, Record::Output(b)).await;
        let err = rt.resume(Diamond, run).await.unwrap_err();
        let StoreError::LeaseHeld { expires_at, .. } = store_source(&err) else {
            panic!("{kind}: {err:?}")
        };
        pinned(
            kind,
            &err,
            run,
            &format!(
                "durable run {run} of workflow `Diamond`: leased to `dead` until {expires_at}: \
                 another runtime runs it, or ran it and stopped. `Runtime::recover` takes it \
                 over once that lease expires; a restarted process resumes it at once if it \
                 names its runtime's owner alike (`RuntimeBuilder::owner(OwnerId::new(..))`; \
                 the default owner is new in each runtime)"
            ),
        );

        // Not failed: still running.
        let err = rt.retry(Diamond, run).await.unwrap_err();
        pinned(
            kind,
            &err,
            run,
            &format!(
                "durable run {run} of workflow `Diamond`: cannot be retried: only a failed run \
                 is, and it is still running (an unfinished run is resumed: `Runtime::resume`, \
                 `Runtime::recover`)"
            ),
        );

        // A row that no longer decodes: the node's value, named once.
        let mut row = RecordedOutput::encode(RunId(0), "b".parse().unwrap(), 1, &"x").unwrap();
        row.output_type = std::any::type_name::<u64>().into();
        let run = interrupted_run(&store, Record::Output(row)).await;
        clock.advance(Duration::from_secs(11));
        let err = rt.resume(Diamond, run).await.unwrap_err();
        let StoreError::Decode { source, .. } = store_source(&err) else {
            panic!("{kind}: {err:?}")
        };
        pinned(
            kind,
            &err,
            run,
            &format!(
                "durable run {run} of workflow `Diamond`, node `b`: cannot decode its output as \
                 `u64`: {source}"
            ),
        );
        assert_eq!(
            store_source(&err).to_string(),
            format!("cannot decode b of run {run} as `u64`: {source}"),
            "{kind}"
        );

        // Finished (failed): resumed, refused.
        let failed = rt
            .start_durable(Gated, GatedInput { n: 1 }, None)
            .await
            .unwrap_err();
        let WorkflowError::NodeFailed { .. } = failed else {
            panic!("{kind}: {failed:?}")
        };
        let failed = store
            .list_runs(RunFilter {
                status: Some(RunStatus::Failed),
                ..RunFilter::default()
            })
            .await
            .unwrap()[0]
            .id;
        let err = rt.resume(Gated, failed).await.unwrap_err();
        pinned(
            kind,
            &err,
            failed,
            &format!(
                "durable run {failed} of workflow `Gated`: already finished (failed); a finished \
                 run is not resumed: a failed run is run again from where it failed with \
                 `Runtime::retry` (`Store::retry_run`)"
            ),
        );
    }
}

/// A run whose row no longer reads (a status this build does not know: a hand edit, or
/// another writer) is an error naming the run once, in SQLite and Postgres: `durable run
/// 1 of workflow `Diamond`: corrupt row: ..`, where it said `..: run 1: corrupt row: ..`.
#[tokio::test]
async fn a_corrupt_run_row_names_the_run_once_in_its_error() {
    let dir = TempDir::new("corrupt_row");
    let clock = ManualClock::new(Timestamp(1_000_000));
    let file = dir.file("runs.db");
    let sqlite: Arc<dyn Store> = Arc::new(SqliteStore::open(&file).unwrap());
    let mut stores = vec![("sqlite", sqlite, None)];
    if let Some(pg) = postgres("corrupt_row", &clock).await {
        let url = crate::support::postgres_url("durable-run case `corrupt_row`").unwrap();
        stores.push(("postgres", pg, Some(url)));
    }
    for (kind, store, url) in stores {
        let b = RecordedOutput::encode(RunId(0), "b".parse().unwrap(), 1, &4u64).unwrap();
        let run = interrupted_run(&store, Record::Output(b)).await;
        let sql = "UPDATE workflow_runs SET status = 'zombie'";
        match &url {
            None => {
                let conn = rusqlite::Connection::open(&file).unwrap();
                conn.execute(sql, []).unwrap();
            }
            Some(url) => {
                let sql = sql.replace("workflow_runs", "durable_corrupt_row.workflow_runs");
                crate::postgres::raw(url, &sql).await;
            }
        }
        let rt = gated_runtime(Arc::clone(&store));
        let err = rt.resume(Diamond, run).await.unwrap_err();
        let StoreError::CorruptRow { reason, .. } = store_source(&err) else {
            panic!("{kind}: {err:?}")
        };
        assert!(reason.contains("zombie"), "{kind}: {reason}");
        pinned(
            kind,
            &err,
            run,
            &format!("durable run {run} of workflow `Diamond`: corrupt row: {reason}"),
        );
    }
}

/// A value whose serde impls have a bug: `Serialize` panics on an odd value,
/// `Deserialize` on 4.
#[derive(Debug, Clone, PartialEq)]
struct Touchy(u64);

impl serde::Serialize for Touchy {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        assert!(self.0 % 2 == 0, "boom serializing {}", self.0);
        s.serialize_u64(self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Touchy {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = <u64 as serde::Deserialize>::deserialize(d)?;
        assert!(v != 4, "boom deserializing {v}");
        Ok(Touchy(v))
    }
}

#[node]
async fn touchy(n: u64) -> Touchy {
    Touchy(n)
}

#[node]
async fn after_touchy(t: Touchy) -> u64 {
    t.0 + 1
}

workflow! {
    #[workflow(durable)]
    struct Touching {
        input n: u64,
        t = touchy(n: n),
        u = after_touchy(t: t),
    }
}

/// A node's output whose `Serialize` panics as the run records it, or whose
/// `Deserialize` panics as a resumed run restores it, is a store error naming the run,
/// the node and the panic: the encode (or decode) ran in the run's task outside any
/// `catch_unwind`, so the panic unwound out of the run's poll into the caller's task.
#[tokio::test]
async fn a_serde_impl_that_panics_is_a_store_error_naming_the_node() {
    let clock = ManualClock::new(Timestamp(1_000_000));
    for (kind, store) in clocked_stores("serde_panics", &clock).await {
        let rt = runtime(Arc::clone(&store), Probe::default());
        let type_name = std::any::type_name::<Touchy>();
        let err = rt
            .start_durable(Touching, TouchingInput { n: 7 }, None)
            .await
            .unwrap_err();
        let WorkflowError::Store { run, .. } = &err else {
            panic!("{kind}: {err:?}")
        };
        let run = RunId(*run);
        assert_eq!(err.node(), Some("t"), "{kind}");
        assert!(
            matches!(store_source(&err), StoreError::Encode { .. }),
            "{kind}: {err:?}"
        );
        pinned(
            kind,
            &err,
            run,
            &format!(
                "durable run {run} of workflow `Touching`, node `t`: cannot encode its output as \
                 `{type_name}`: its `Serialize` panicked: boom serializing 7"
            ),
        );

        // Recorded as 4 by an earlier run whose process died: restoring it panics.
        let fingerprint = <Touching as workflow_core::DurableWorkflow>::FINGERPRINT;
        let run = dead_run_over(&store, "Touching", fingerprint, 4, |run| {
            let mut t = RecordedOutput::encode(run, "t".parse().unwrap(), 1, &4u64).unwrap();
            t.output_type = type_name.into();
            vec![Record::Output(t)]
        })
        .await;
        clock.advance(Duration::from_secs(11));
        let err = rt.resume(Touching, run).await.unwrap_err();
        assert_eq!(err.node(), Some("t"), "{kind}: {err:?}");
        pinned(
            kind,
            &err,
            run,
            &format!(
                "durable run {run} of workflow `Touching`, node `t`: cannot decode its output as \
                 `{type_name}`: its `Deserialize` panicked: boom deserializing 4"
            ),
        );
        // The runtime goes on: an even value records and restores.
        let ok = rt
            .start_durable(Touching, TouchingInput { n: 2 }, None)
            .await
            .unwrap();
        assert_eq!(ok.outputs.u, 3, "{kind}");
    }
}
