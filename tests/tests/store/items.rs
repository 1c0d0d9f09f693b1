//! Per-item checkpoints of fan-outs: a durable workflow's `for` body is durable too, so
//! each item's nodes are recorded under their paths (`ys[3].a`); a resumed run restores
//! the recorded items' nodes and runs only the rest, and the fan-out's value comes back
//! in input order.
//!
//! - A child process aborts inside item k of a wide fan-out; the parent resumes: every
//!   node recorded before the abort ran exactly once, the others once more at most, and
//!   the outputs equal an uninterrupted run's.
//! - In process, over every store: recorded rows restore exactly their nodes (an
//!   `#[ephemeral]` node of the body runs only for an item whose consumer runs), and
//!   item rows are dropped when the list they were computed from runs again.
//! - A `failure = "collect"` fan-out: an item's failure is not recorded (it runs again
//!   on resume); `ctx.idempotency_key()` names the item's path in the durable run.
//! - Group commit: a 1,000-item fan-out needs far fewer commits than records.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use workflow_core::prelude::*;
use workflow_core::store::{
    CreatedRun, Durability, GraphFingerprint, ManualClock, MemoryStore, NewRun, OwnerId, Record,
    RecordedOutput, RunFilter, RunId, SqliteStore, Store, Timestamp,
};
use workflow_core::trace::TraceKind;

use crate::durable::clocked_stores;
use crate::support::{file_counts, TempDir, Visits};

/// A handle that cannot be recorded (no serde): an `#[ephemeral]` body node's output.
struct Conn(u64);

#[node]
async fn numbers(n: u64, visits: Res<Visits>, ctx: &Context) -> Vec<u64> {
    visits.visit(ctx).await;
    (0..n).collect()
}

#[node]
async fn step_a(x: u64, visits: Res<Visits>, ctx: &Context) -> u64 {
    visits.visit(ctx).await;
    x * 10
}

#[node]
async fn connect(x: u64, visits: Res<Visits>, ctx: &Context) -> Conn {
    visits.visit(ctx).await;
    Conn(x % 3)
}

#[node]
async fn step_b(a: u64, conn: Conn, visits: Res<Visits>, ctx: &Context) -> u64 {
    visits.visit(ctx).await;
    a + conn.0
}

#[node]
async fn total(ys: Vec<u64>, visits: Res<Visits>, ctx: &Context) -> u64 {
    visits.visit(ctx).await;
    ys.iter().sum()
}

workflow! {
    /// A list, a fan-out whose items are `a → b` with an ephemeral `conn` feeding `b`,
    /// and a sum.
    #[workflow(durable)]
    struct Wide {
        input n: u64,
        xs = numbers(n: n),
        #[output]
        #[concurrency = 2]
        ys = for x in xs {
            a = step_a(x: x),
            #[ephemeral]
            conn = connect(x: x),
            b = step_b(a: a, conn: conn),
        } => b,
        sum = total(ys: ys),
    }
}

/// What an uninterrupted run of `Wide` over `n` items returns.
fn wide_ys(n: u64) -> Vec<u64> {
    (0..n).map(|x| x * 10 + x % 3).collect()
}

fn runtime(store: Arc<dyn Store>, visits: Visits) -> Runtime {
    Runtime::builder()
        .store_arc(store)
        .owner(OwnerId::new("items"))
        .resource(visits)
        .build()
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

// ---- Killed inside item k, across processes ----

const CHILD_ENV: &str = "WORKFLOW_ITEMS_CHILD";
const ITEMS: u64 = 48;
const KILL: &str = "ys[36].b";

/// In the child: run `Wide` durably on the database and abort inside [`KILL`], once the
/// list and the first item are committed (the recorder commits in the background: how
/// much it did by then is pinned, not left to how soon its thread got a core).
fn child(spec: &str) {
    let (db, file) = spec.split_once('|').unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(db).unwrap());
    let visits = Visits {
        file: Some(file.into()),
        abort_at: Some(KILL.into()),
        pause: Duration::from_millis(1),
        wait_for: ["xs", "ys[0].a", "ys[0].b"].map(String::from).to_vec(),
        store: Some(Arc::clone(&store)),
        ..Visits::default()
    };
    let rt = runtime(store, visits);
    let result = block_on(rt.start_durable(Wide, WideInput { n: ITEMS }, Some("wide")));
    panic!("{KILL} should have aborted the process: {:?}", result.err());
}

#[test]
fn a_fan_out_killed_inside_an_item_resumes_only_the_items_not_recorded() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        return child(&spec);
    }
    let dir = TempDir::new("items-kill");
    let (db, child_file) = (dir.file("runs.db"), dir.file("child"));
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "items::a_fan_out_killed_inside_an_item_resumes_only_the_items_not_recorded",
            "--test-threads=1",
        ])
        .env(
            CHILD_ENV,
            format!("{}|{}", db.display(), child_file.display()),
        )
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(!status.success(), "the child aborted");

    let rt = runtime(Arc::new(SqliteStore::open(&db).unwrap()), Visits::default());
    let (rows, run) = block_on(async {
        let store = rt.store().unwrap();
        let runs = store.list_runs(RunFilter::default()).await.unwrap();
        assert_eq!(runs.len(), 1);
        let rows: BTreeSet<String> = store
            .load_run(runs[0].id)
            .await
            .unwrap()
            .outputs
            .iter()
            .map(|r| r.path.as_str().to_owned())
            .collect();
        // The same key: the unfinished run is resumed (its owner is this runtime's).
        let run = rt
            .start_durable(Wide, WideInput { n: ITEMS }, Some("wide"))
            .await
            .unwrap();
        (rows, run)
    });
    assert_eq!(run.outputs.ys, wide_ys(ITEMS));
    assert_eq!(run.outputs.sum, wide_ys(ITEMS).iter().sum::<u64>());

    // Items were recorded node by node, and the fan-out itself was not (it never ended).
    assert!(rows.contains("xs"), "{rows:?}");
    assert!(!rows.contains("ys"), "{rows:?}");
    let items_recorded: Vec<u64> = (0..ITEMS)
        .filter(|i| rows.contains(&format!("ys[{i}].b")))
        .collect();
    assert!(
        !items_recorded.is_empty()
            && items_recorded
                .iter()
                .all(|&i| rows.contains(&format!("ys[{i}].a"))),
        "whole items recorded before the abort: {rows:?}"
    );
    assert!(
        rows.iter().all(|r| !r.ends_with(".conn")),
        "an ephemeral node was recorded: {rows:?}"
    );
    assert!(!rows.contains(KILL), "{KILL} never finished");

    let child = file_counts(&child_file);
    let parent = rt.resource::<Visits>().unwrap().counts();
    let restored: BTreeSet<&str> = run.restored().into_iter().collect();
    for i in 0..ITEMS {
        for node in ["a", "b"] {
            let path = format!("ys[{i}].{node}");
            let (c, p) = (
                child.get(&path).copied().unwrap_or(0),
                parent.get(&path).copied().unwrap_or(0),
            );
            assert!(c <= 1, "{path} ran {c} times in the child");
            if rows.contains(&path) {
                assert_eq!((c, p), (1, 0), "{path} was recorded, so it ran once");
                assert!(restored.contains(&*path), "{path} is reported restored");
            } else {
                assert_eq!(p, 1, "{path} was not recorded: it runs in the parent");
            }
        }
        // The ephemeral handle is opened again exactly for the items whose `b` runs.
        let b_runs = !rows.contains(&format!("ys[{i}].b"));
        let conn = parent.get(&format!("ys[{i}].conn")).copied().unwrap_or(0);
        assert_eq!(conn, u32::from(b_runs), "ys[{i}].conn");
    }
    assert_eq!(child.get(KILL), Some(&1));
    assert_eq!(parent.get("xs"), None, "the list was restored");
}

// ---- In process, over every store ----

/// A run of `Wide` over `n` items whose owner died, with `rows` recorded (and the list
/// `xs`, with `list`), under the fingerprint a run of `Wide` records.
async fn interrupted(store: &Arc<dyn Store>, n: u64, rows: &[(&str, u64)], list: bool) -> RunId {
    let fingerprint = workflow_core::__private::durable_fingerprint::<Wide>();
    interrupted_under(store, &fingerprint, n, rows, list).await
}

/// [`interrupted`], recorded under `fingerprint`.
async fn interrupted_under(
    store: &Arc<dyn Store>,
    fingerprint: &str,
    n: u64,
    rows: &[(&str, u64)],
    list: bool,
) -> RunId {
    let created = store
        .create_run(NewRun {
            workflow: "Wide".into(),
            fingerprint: GraphFingerprint(fingerprint.into()),
            input: workflow_core::store::encode(&[n], None, "input").unwrap(),
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
    let mut records = Vec::new();
    if list {
        let xs: Vec<u64> = (0..n).collect();
        records.push(Record::Output(
            RecordedOutput::encode(run, "xs".parse().unwrap(), 1, &xs).unwrap(),
        ));
    }
    for (path, value) in rows {
        records.push(Record::Output(
            RecordedOutput::encode(run, path.parse().unwrap(), 1, value).unwrap(),
        ));
    }
    store.record_all(&claimed.lease, records).await.unwrap();
    run
}

#[tokio::test]
async fn recorded_item_nodes_are_restored_and_only_the_rest_run() {
    let clock = ManualClock::new(Timestamp(1_000_000));
    for (kind, store) in clocked_stores("items", &clock).await {
        // Item 0 whole, item 1's `a` (its `b` was in flight), nothing of items 2 and 3.
        let rows = [("ys[0].a", 0), ("ys[0].b", 0), ("ys[1].a", 10)];
        let run = interrupted(&store, 4, &rows, true).await;
        clock.advance(Duration::from_secs(11));
        let rt = Runtime::builder()
            .store_arc(Arc::clone(&store))
            .owner(OwnerId::new("items"))
            .resource(Visits::default())
            .trace(true)
            .build();
        let result = rt.resume(Wide, run).await.unwrap();
        assert_eq!(result.outputs.ys, wide_ys(4), "{kind}");
        let mut restored = result.restored();
        restored.sort_unstable();
        assert_eq!(restored, ["xs", "ys[0].a", "ys[0].b", "ys[1].a"], "{kind}");
        workflow_test::assert_restored(&result, &["xs", "ys[0].a", "ys[0].b", "ys[1].a"]);
        // The trace says so too, by path.
        let trace = result.trace.as_ref().expect("tracing is on");
        let mut in_trace: Vec<String> = trace
            .events
            .iter()
            .filter(|e| e.kind == TraceKind::Restored)
            .filter_map(|e| e.node.as_ref().map(|n| n.to_string()))
            .collect();
        in_trace.sort_unstable();
        assert_eq!(in_trace, restored, "{kind}");
        let counts = rt.resource::<Visits>().unwrap().counts();
        let ran: Vec<&str> = counts.keys().map(String::as_str).collect();
        assert_eq!(
            ran,
            [
                "sum",
                "ys[1].b",
                "ys[1].conn",
                "ys[2].a",
                "ys[2].b",
                "ys[2].conn",
                "ys[3].a",
                "ys[3].b",
                "ys[3].conn"
            ],
            "{kind}: item 0 and item 1's `a` are restored; item 0's handle is not needed"
        );
        assert!(counts.values().all(|&c| c == 1), "{kind}: {counts:?}");
    }
}

#[tokio::test]
async fn a_run_recorded_before_fan_outs_had_their_hash_runs_its_items_again_once() {
    let clock = ManualClock::new(Timestamp(1_000_000));
    // `workflow!`'s text alone: what a run recorded before a fan-out's entry carried
    // the hash of what its items run. The entry reads as changed, so every item runs
    // again (never an old body's row restored), and the run moves to the current
    // fingerprint, so a later resume restores them as usual.
    let old = <Wide as workflow_core::DurableWorkflow>::FINGERPRINT;
    let current = workflow_core::__private::durable_fingerprint::<Wide>();
    assert_ne!(old, current);
    for (kind, store) in clocked_stores("items_old_fingerprint", &clock).await {
        let rows = [("ys[0].a", 0), ("ys[0].b", 0), ("ys[1].a", 10)];
        let run = interrupted_under(&store, old, 4, &rows, true).await;
        clock.advance(Duration::from_secs(11));
        let rt = runtime(Arc::clone(&store), Visits::default());
        let result = rt.resume(Wide, run).await.unwrap();
        assert_eq!(result.outputs.ys, wide_ys(4), "{kind}");
        assert_eq!(result.restored(), ["xs"], "{kind}");
        let counts = rt.resource::<Visits>().unwrap().counts();
        assert_eq!(
            counts.len(),
            3 * 4 + 1,
            "{kind}: every item ran: {counts:?}"
        );
        assert!(counts.values().all(|&c| c == 1), "{kind}: {counts:?}");
        let recorded = store.get_run(run).await.unwrap().fingerprint.0;
        assert_eq!(recorded, current, "{kind}: rebased");
    }
}

#[tokio::test]
async fn item_rows_are_not_restored_when_the_list_runs_again() {
    let clock = ManualClock::new(Timestamp(1_000_000));
    for (kind, store) in clocked_stores("items_list", &clock).await {
        // `xs` has no row: it runs again, and the items' rows were computed from the
        // list it returned then, so none of them is trusted.
        let rows = [("ys[0].a", 0), ("ys[0].b", 0)];
        let run = interrupted(&store, 3, &rows, false).await;
        clock.advance(Duration::from_secs(11));
        let rt = runtime(Arc::clone(&store), Visits::default());
        let result = rt.resume(Wide, run).await.unwrap();
        assert_eq!(result.outputs.ys, wide_ys(3), "{kind}");
        assert!(
            result.restored().is_empty(),
            "{kind}: {:?}",
            result.restored()
        );
        let counts = rt.resource::<Visits>().unwrap().counts();
        assert_eq!(counts.get("ys[0].a"), Some(&1), "{kind}");
        assert_eq!(
            counts.len(),
            1 + 3 * 3 + 1,
            "{kind}: every node ran: {counts:?}"
        );
    }
}

#[tokio::test]
async fn a_stale_item_row_is_not_restored() {
    let clock = ManualClock::new(Timestamp(1_000_000));
    for (kind, store) in clocked_stores("items_stale", &clock).await {
        // `ys[0].a` recorded as text by older code: another output type, so `a` runs
        // again for item 0, and so does `b`, downstream of it.
        let run = interrupted(&store, 2, &[("ys[0].b", 0)], true).await;
        let lease = store
            .claim_run(run, &OwnerId::new("dead"), Duration::from_secs(10))
            .await
            .unwrap();
        let row = RecordedOutput::encode(run, "ys[0].a".parse().unwrap(), 1, &"zero").unwrap();
        store
            .record_all(&lease.lease, vec![Record::Output(row)])
            .await
            .unwrap();
        clock.advance(Duration::from_secs(11));
        let rt = runtime(Arc::clone(&store), Visits::default());
        let result = rt.resume(Wide, run).await.unwrap();
        assert_eq!(result.outputs.ys, wide_ys(2), "{kind}");
        assert_eq!(result.restored(), ["xs"], "{kind}");
        let counts = rt.resource::<Visits>().unwrap().counts();
        assert_eq!(counts.get("ys[0].a"), Some(&1), "{kind}");
        assert_eq!(counts.get("ys[0].b"), Some(&1), "{kind}");
    }
}

// ---- `failure = "collect"` and idempotency keys ----

#[derive(Debug, thiserror::Error, Serialize, Deserialize)]
#[error("item {0} fails")]
struct ItemFails(u64);

#[node]
async fn fails_on_two(a: u64, visits: Res<Visits>, ctx: &Context) -> Result<u64, ItemFails> {
    visits.visit(ctx).await;
    if a == 20 {
        Err(ItemFails(a))
    } else {
        Ok(a + 1)
    }
}

#[node]
async fn count_ok(ys: Vec<Result<u64, WorkflowError>>) -> usize {
    ys.iter().filter(|y| y.is_ok()).count()
}

#[node]
async fn item_key(x: u64, ctx: &Context) -> String {
    format!("{x}:{}", ctx.idempotency_key())
}

workflow! {
    /// A collecting fan-out (its value holds errors, so it is `#[ephemeral]`: its items
    /// are still recorded one by one), and a fan-out of idempotency keys.
    #[workflow(durable)]
    struct Collects {
        input n: u64,
        xs = numbers(n: n),
        #[ephemeral]
        #[failure = "collect"]
        ys = for x in xs {
            a = step_a(x: x),
            b = fails_on_two(a: a),
        } => b,
        ok = count_ok(ys: ys),
        keys = for x in xs {
            k = item_key(x: x),
        } => k,
    }
}

#[tokio::test]
async fn a_collected_item_failure_is_not_recorded_and_keys_name_item_paths() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let rt = Runtime::builder()
        .store_arc(Arc::clone(&store))
        .keep_records(true)
        .resource(Visits::default())
        .build();
    let run = rt
        .start_durable(Collects, CollectsInput { n: 4 }, None)
        .await
        .unwrap();
    assert_eq!(run.outputs.ok, 3);
    let id = run.run_id;
    let want: Vec<String> = (0..4)
        .map(|i| format!("{i}:Collects/{id}/keys[{i}].k"))
        .collect();
    assert_eq!(
        run.outputs.keys, want,
        "stable keys: the durable run's id and the item's path"
    );
    let rows: BTreeSet<String> = store
        .load_run(id)
        .await
        .unwrap()
        .outputs
        .iter()
        .map(|r| r.path.as_str().to_owned())
        .collect();
    for i in 0..4 {
        assert!(rows.contains(&format!("ys[{i}].a")), "{rows:?}");
        // Item 2's `b` failed: an error is not a checkpoint (it would run again).
        assert_eq!(rows.contains(&format!("ys[{i}].b")), i != 2, "{rows:?}");
        assert!(rows.contains(&format!("keys[{i}].k")), "{rows:?}");
    }
    assert!(
        !rows.contains("ys"),
        "the ephemeral fan-out's own value: {rows:?}"
    );
}

// ---- Group commit: commits for a 1,000-item fan-out ----

workflow! {
    /// One node per item, nothing to wait on: items finish together.
    #[workflow(durable)]
    struct Thousand {
        input n: u64,
        xs = numbers(n: n),
        #[output]
        ys = for x in xs {
            a = step_a(x: x),
        } => a,
    }
}

/// Commits and records of one durable run of `Thousand` over 1,000 items on `store`.
async fn thousand_commits(store: Arc<dyn Store>) -> (u64, u64) {
    let rt = runtime(Arc::clone(&store), Visits::default());
    let before = store.stats();
    let run = rt
        .start_durable(Thousand, ThousandInput { n: 1000 }, None)
        .await
        .unwrap();
    assert_eq!(run.outputs.ys.len(), 1000);
    let after = store.stats();
    (
        after.commits - before.commits,
        after.records - before.records,
    )
}

#[tokio::test]
async fn a_thousand_item_fan_out_shares_its_commits() {
    let dir = TempDir::new("items-commits");
    let mut stores: Vec<(&str, Arc<dyn Store>)> = vec![
        ("memory", Arc::new(MemoryStore::new())),
        (
            "sqlite",
            Arc::new(SqliteStore::open(dir.file("runs.db")).unwrap()),
        ),
        // One sync to disk per commit: the commit count is the sync count.
        (
            "sqlite, survives power loss",
            Arc::new(
                SqliteStore::builder(dir.file("full.db"))
                    .durability(Durability::SurvivesPowerLoss)
                    .open()
                    .unwrap(),
            ),
        ),
    ];
    let clock = ManualClock::new(Timestamp(1_000_000));
    if let Some((_, pg)) = clocked_stores("items_commits", &clock)
        .await
        .into_iter()
        .find(|(kind, _)| *kind == "postgres")
    {
        stores.push(("postgres", pg));
    }
    for (kind, store) in stores {
        let (commits, records) = thousand_commits(store).await;
        eprintln!("{kind}: a 1,000-item fan-out: {records} records in {commits} commits");
        // 1,000 item rows, `xs` and `ys`.
        assert_eq!(records, 1002, "{kind}");
        assert!(
            commits < 100,
            "{kind}: {commits} commits for {records} records"
        );
    }
}

/// Serializes only when `v` is even.
#[derive(Debug, Clone, PartialEq)]
struct EvenOnly(u32);

impl Serialize for EvenOnly {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0 % 2 == 1 {
            return Err(serde::ser::Error::custom(format!("{} is odd", self.0)));
        }
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for EvenOnly {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        u32::deserialize(d).map(EvenOnly)
    }
}

#[node]
async fn even_only(v: u32) -> EvenOnly {
    EvenOnly(v)
}

#[node]
async fn unwrap_even(p: EvenOnly) -> u32 {
    p.0
}

workflow! {
    #[workflow(durable)]
    struct EvenItems {
        input vs: Vec<u32>,
        ps = for v in vs { p = even_only(v), q = unwrap_even(p), } => q,
    }
}

/// An item's output that fails to serialize is a store error naming the node by its
/// path, outside and inside: the encode error said `cannot encode p of run ..` under a
/// run error naming `ps[2].p` (trial38).
#[tokio::test]
async fn an_items_output_that_fails_to_encode_is_named_by_its_path_inside_too() {
    let rt = Runtime::builder().store(MemoryStore::new()).build();
    let err = rt
        .start_durable(
            EvenItems,
            EvenItemsInput {
                vs: vec![2, 4, 7, 8],
            },
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(err.node(), Some("ps[2].p"), "{err:?}");
    let Some(workflow_core::store::StoreError::Encode {
        what,
        source,
        type_name,
        ..
    }) = err.downcast_ref()
    else {
        panic!("not an encode error: {err:?}");
    };
    assert_eq!(what, "ps[2].p");
    assert_eq!(source.to_string(), "7 is odd");
    // The run and the node named once (it said `.., node `ps[2].p`: cannot encode
    // ps[2].p of run 1 as ..`).
    let WorkflowError::Store { run, .. } = &err else {
        panic!("{err:?}")
    };
    let text = format!(
        "durable run {run} of workflow `EvenItems`, node `ps[2].p`: cannot encode its output \
         as `{type_name}`: 7 is odd"
    );
    assert!(type_name.ends_with("EvenOnly"), "{type_name}");
    assert_eq!(err.to_string(), text);
    assert_eq!(format!("{err:#}"), text);
}
