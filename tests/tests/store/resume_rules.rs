//! What a resumed durable run restores and what it runs again: `#[ephemeral]` bindings
//! (never recorded, recomputed only when a node that runs needs them) and
//! `#[node(version = N)]` (a recorded output of another version runs again, with every
//! node downstream of it). Each case records an interrupted run by hand, as a process
//! that died after recording those rows would have left it, and resumes it on every
//! store.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use workflow_core::prelude::*;
use workflow_core::store::{ManualClock, OwnerId, Record, RecordedOutput, RunId, Store, Timestamp};
use workflow_core::DurableWorkflow;

use crate::durable::clocked_stores;

/// Counts executions per node.
#[derive(Default)]
struct Runs(Mutex<HashMap<&'static str, u32>>);

impl Runs {
    fn visit(&self, ctx: &Context) {
        *self.0.lock().unwrap().entry(ctx.node()).or_default() += 1;
    }

    fn of(&self, node: &str) -> u32 {
        self.0.lock().unwrap().get(node).copied().unwrap_or(0)
    }
}

/// A connection: not serializable, so it cannot be recorded, only opened again.
#[derive(Clone)]
struct Handle {
    base: u64,
}

#[node]
async fn connect(n: u64, runs: Res<Runs>, ctx: &Context) -> Handle {
    runs.visit(ctx);
    Handle { base: n * 10 }
}

#[node]
async fn query(h: Handle, runs: Res<Runs>, ctx: &Context) -> u64 {
    runs.visit(ctx);
    h.base + 1
}

#[node]
async fn query_more(h: Handle, x: u64, runs: Res<Runs>, ctx: &Context) -> u64 {
    runs.visit(ctx);
    h.base + x
}

#[node]
async fn total(x: u64, y: u64, runs: Res<Runs>, ctx: &Context) -> u64 {
    runs.visit(ctx);
    x + y
}

workflow! {
    /// `conn` feeds `a` and `b`; `sum` reads only recorded values.
    #[workflow(durable)]
    struct Conn {
        input n: u64,
        #[ephemeral]
        conn = connect(n: n),
        a = query(h: conn),
        b = query_more(h: conn, x: a),
        sum = total(x: a, y: b),
    }
}

/// A run of `W` (input `n`) whose owner died after recording `rows` (node, version,
/// value), with a lease that has expired by the time the caller advances `clock`.
async fn interrupted<W: DurableWorkflow>(
    store: &Arc<dyn Store>,
    workflow: &str,
    rows: &[(&str, u32, u64)],
) -> RunId {
    // The fingerprint as `workflow!` writes it, without the versions of bumped
    // ephemeral nodes: a run recorded before the bump (a_bumped_ephemeral_node_..).
    crate::durable::dead_run(store, workflow, W::FINGERPRINT, |run| {
        rows.iter()
            .map(|&(node, version, value)| {
                Record::Output(
                    RecordedOutput::encode(run, node.parse().unwrap(), version, &value).unwrap(),
                )
            })
            .collect()
    })
    .await
}

fn runtime(store: &Arc<dyn Store>) -> Runtime {
    Runtime::builder()
        .store_arc(Arc::clone(store))
        .owner(OwnerId::new("test"))
        .resource(Runs::default())
        .build()
}

#[tokio::test]
async fn an_ephemeral_output_is_never_recorded() {
    let clock = ManualClock::new(Timestamp(1_000_000));
    for (kind, store) in clocked_stores("eph_fresh", &clock).await {
        let rt = Runtime::builder()
            .store_arc(Arc::clone(&store))
            .owner(OwnerId::new("test"))
            .resource(Runs::default())
            .keep_records(true)
            .build();
        let run = rt
            .start_durable(Conn, ConnInput { n: 1 }, None)
            .await
            .unwrap();
        assert_eq!(run.outputs.sum, 11 + 21, "{kind}");
        let mut rows: Vec<String> = store
            .load_run(run.run_id)
            .await
            .unwrap()
            .outputs
            .iter()
            .map(|r| r.path.to_string())
            .collect();
        rows.sort();
        assert_eq!(rows, ["a", "b", "sum"], "{kind}: no row for `conn`");
        assert_eq!(rt.resource::<Runs>().unwrap().of("conn"), 1, "{kind}");
    }
}

#[tokio::test]
async fn an_ephemeral_output_is_recomputed_when_a_node_that_runs_needs_it() {
    let clock = ManualClock::new(Timestamp(1_000_000));
    for (kind, store) in clocked_stores("eph_needed", &clock).await {
        // `a` recorded; `b` still needs the connection.
        let run = interrupted::<Conn>(&store, "Conn", &[("a", 1, 11)]).await;
        clock.advance(Duration::from_secs(11));
        let rt = runtime(&store);
        let result = rt.resume(Conn, run).await.unwrap();
        assert_eq!(result.outputs.sum, 11 + 21, "{kind}");
        workflow_test::assert_restored(&result, &["a"]);
        let runs = rt.resource::<Runs>().unwrap();
        assert_eq!(
            (runs.of("conn"), runs.of("a"), runs.of("b"), runs.of("sum")),
            (1, 0, 1, 1),
            "{kind}: `conn` opened again for `b`"
        );
    }
}

#[tokio::test]
async fn an_ephemeral_output_no_running_node_needs_is_not_recomputed() {
    let clock = ManualClock::new(Timestamp(1_000_000));
    for (kind, store) in clocked_stores("eph_unneeded", &clock).await {
        // Both consumers of `conn` recorded: only `sum` runs, and it does not read `conn`.
        let run = interrupted::<Conn>(&store, "Conn", &[("a", 1, 11), ("b", 1, 21)]).await;
        clock.advance(Duration::from_secs(11));
        let rt = runtime(&store);
        let result = rt.resume(Conn, run).await.unwrap();
        assert_eq!(result.outputs.sum, 32, "{kind}");
        workflow_test::assert_restored(&result, &["a", "b"]);
        let report = result.report.as_ref().unwrap();
        assert_eq!(
            report.node("conn").unwrap().status,
            NodeStatus::Skipped,
            "{kind}"
        );
        let runs = rt.resource::<Runs>().unwrap();
        assert_eq!(
            (runs.of("conn"), runs.of("sum")),
            (0, 1),
            "{kind}: `conn` not opened"
        );
    }
}

/// `connect` after a change to what it connects to.
#[node(version = 2)]
async fn connect_v2(n: u64, runs: Res<Runs>, ctx: &Context) -> Handle {
    runs.visit(ctx);
    Handle { base: n * 1000 }
}

workflow! {
    /// `Conn` with `conn` at version 2.
    #[workflow(durable)]
    struct ConnV2 {
        input n: u64,
        #[ephemeral]
        conn = connect_v2(n: n),
        a = query(h: conn),
        b = query_more(h: conn, x: a),
        sum = total(x: a, y: b),
    }
}

#[tokio::test]
async fn a_bumped_ephemeral_node_reruns_what_it_feeds() {
    let clock = ManualClock::new(Timestamp(1_000_000));
    for (kind, store) in clocked_stores("eph_version", &clock).await {
        // Recorded when `conn` was at version 1 (the plain fingerprint): `a` and `b` were
        // computed through the old connection, so they run again.
        let run = interrupted::<ConnV2>(&store, "ConnV2", &[("a", 1, 11), ("b", 1, 21)]).await;
        clock.advance(Duration::from_secs(11));
        let rt = runtime(&store);
        let result = rt.resume(ConnV2, run).await.unwrap();
        assert_eq!(result.outputs.sum, 1001 + 2001, "{kind}");
        workflow_test::assert_restored(&result, &[]);
        let runs = rt.resource::<Runs>().unwrap();
        assert_eq!(
            (runs.of("conn"), runs.of("a"), runs.of("b")),
            (1, 1, 1),
            "{kind}"
        );
        // A run started now records the version: resuming it changes nothing.
        let fresh = rt
            .start_durable(ConnV2, ConnV2Input { n: 1 }, None)
            .await
            .unwrap();
        let recorded = store.get_run(fresh.run_id).await.unwrap().fingerprint.0;
        assert!(
            recorded.contains("~conn@2=connect_v2("),
            "{kind}: {recorded}"
        );
    }
}

// ---- Node versions ----

#[node]
async fn v_first(n: u64, runs: Res<Runs>, ctx: &Context) -> u64 {
    runs.visit(ctx);
    n + 1
}

/// Version 2: "the code changed" since the rows recorded at version 1.
#[node(version = 2)]
async fn v_second(x: u64, runs: Res<Runs>, ctx: &Context) -> u64 {
    runs.visit(ctx);
    x * 100
}

#[node]
async fn v_third(x: u64, runs: Res<Runs>, ctx: &Context) -> u64 {
    runs.visit(ctx);
    x + 3
}

#[node]
async fn v_side(x: u64, runs: Res<Runs>, ctx: &Context) -> u64 {
    runs.visit(ctx);
    x + 7
}

workflow! {
    /// a → b → c, a → d, (c, d) → e; `b` is at version 2.
    #[workflow(durable)]
    struct Versioned {
        input n: u64,
        a = v_first(n: n),
        b = v_second(x: a),
        c = v_third(x: b),
        d = v_side(x: a),
        e = total(x: c, y: d),
    }
}

#[tokio::test]
async fn a_bumped_node_version_reruns_that_node_and_its_downstream() {
    let clock = ManualClock::new(Timestamp(1_000_000));
    for (kind, store) in clocked_stores("version_bump", &clock).await {
        // Recorded by version 1 of `v_second`, which doubled: `b` and `c` hold stale values.
        let rows = [("a", 1, 2), ("b", 1, 4), ("c", 1, 7), ("d", 1, 9)];
        let run = interrupted::<Versioned>(&store, "Versioned", &rows).await;
        clock.advance(Duration::from_secs(11));
        let rt = runtime(&store);
        let result = rt.resume(Versioned, run).await.unwrap();
        // b = 200, c = 203, d = 9: c recomputed from the new b, d restored.
        assert_eq!(result.outputs.e, 203 + 9, "{kind}");
        workflow_test::assert_restored(&result, &["a", "d"]);
        let runs = rt.resource::<Runs>().unwrap();
        assert_eq!(
            (runs.of("b"), runs.of("c"), runs.of("d"), runs.of("e")),
            (1, 1, 0, 1),
            "{kind}"
        );
    }
}

#[tokio::test]
async fn a_row_of_the_current_version_is_restored() {
    let clock = ManualClock::new(Timestamp(1_000_000));
    for (kind, store) in clocked_stores("version_same", &clock).await {
        let rows = [("a", 1, 2), ("b", 2, 200), ("c", 1, 203)];
        let run = interrupted::<Versioned>(&store, "Versioned", &rows).await;
        clock.advance(Duration::from_secs(11));
        let rt = runtime(&store);
        let result = rt.resume(Versioned, run).await.unwrap();
        assert_eq!(result.outputs.e, 203 + 9, "{kind}");
        workflow_test::assert_restored(&result, &["a", "b", "c"]);
        // A fresh run records `b` at its version.
        let fresh = Runtime::builder()
            .store_arc(Arc::clone(&store))
            .resource(Runs::default())
            .keep_records(true)
            .build()
            .start_durable(Versioned, VersionedInput { n: 1 }, None)
            .await
            .unwrap();
        let state = store.load_run(fresh.run_id).await.unwrap();
        let b = state
            .outputs
            .iter()
            .find(|r| r.path.as_str() == "b")
            .unwrap();
        assert_eq!(b.node_version, 2, "{kind}");
    }
}
