//! A store that is slow to commit (half a second a record write): a durable run stopped
//! (cancelled, or dropped by its caller) while a node's record is being written loses
//! nothing and repeats nothing. (A store that never answers: `hung.rs`, bounded by
//! `RuntimeBuilder::store_timeout`.)

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use workflow_core::prelude::*;
use workflow_core::store::{
    Claimed, Clock, CreatedRun, Lease, MemoryStore, NewRun, OwnerId, PurgeFilter, Record,
    Retention, RunFilter, RunId, RunOutcome, RunRecord, RunState, RunStatus, Store, StoreError,
    StoreStats,
};

/// Which nodes ran, in order.
#[derive(Default)]
struct Ran(Mutex<Vec<&'static str>>);

impl Ran {
    fn take(&self) -> Vec<&'static str> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

#[node]
async fn first(n: u64, ran: Res<Ran>) -> u64 {
    ran.0.lock().unwrap().push("a");
    tokio::time::sleep(Duration::from_secs(1)).await;
    n + 1
}

#[node]
async fn second(x: u64, ran: Res<Ran>) -> u64 {
    ran.0.lock().unwrap().push("b");
    tokio::time::sleep(Duration::from_secs(1)).await;
    x + 1
}

workflow! {
    /// Two nodes of a second each, under a run timeout of 5 s.
    #[workflow(durable, timeout = "5s")]
    struct Timed {
        input n: u64,
        a = first(n),
        b = second(x: a),
    }
}

fn ran(rt: &Runtime) -> Vec<&'static str> {
    rt.resource::<Ran>().unwrap().take()
}

/// A store whose record writes take half a second (a slow disk), over `.0`; `.1` is
/// told as each write begins.
#[derive(Debug)]
struct Slow(Arc<dyn Store>, Arc<tokio::sync::Notify>);

impl Store for Slow {
    fn create_run(&self, new: NewRun) -> BoxFuture<'_, Result<CreatedRun, StoreError>> {
        self.0.create_run(new)
    }
    fn claim_run<'a>(
        &'a self,
        run: RunId,
        owner: &'a OwnerId,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claimed, StoreError>> {
        self.0.claim_run(run, owner, lease)
    }
    fn retry_run<'a>(
        &'a self,
        run: RunId,
        workflow: &'a str,
        owner: &'a OwnerId,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claimed, StoreError>> {
        self.0.retry_run(run, workflow, owner, lease)
    }
    fn claim_expired<'a>(
        &'a self,
        owner: &'a OwnerId,
        lease: Duration,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<Claimed>, StoreError>> {
        self.0.claim_expired(owner, lease, limit)
    }
    fn renew_lease<'a>(
        &'a self,
        lease: &'a Lease,
        duration: Duration,
    ) -> BoxFuture<'a, Result<Lease, StoreError>> {
        self.0.renew_lease(lease, duration)
    }
    fn record_all<'a>(
        &'a self,
        lease: &'a Lease,
        records: Vec<Record>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            self.1.notify_one();
            tokio::time::sleep(Duration::from_millis(500)).await;
            self.0.record_all(lease, records).await
        })
    }
    fn finish_run<'a>(
        &'a self,
        lease: &'a Lease,
        outcome: RunOutcome,
        retention: Retention,
    ) -> BoxFuture<'a, Result<RunRecord, StoreError>> {
        self.0.finish_run(lease, outcome, retention)
    }
    fn get_run(&self, run: RunId) -> BoxFuture<'_, Result<RunRecord, StoreError>> {
        self.0.get_run(run)
    }
    fn load_run(&self, run: RunId) -> BoxFuture<'_, Result<RunState, StoreError>> {
        self.0.load_run(run)
    }
    fn list_runs(&self, filter: RunFilter) -> BoxFuture<'_, Result<Vec<RunRecord>, StoreError>> {
        self.0.list_runs(filter)
    }
    fn purge(&self, filter: PurgeFilter) -> BoxFuture<'_, Result<u64, StoreError>> {
        self.0.purge(filter)
    }
    fn stats(&self) -> StoreStats {
        self.0.stats()
    }
    fn clock(&self) -> &dyn Clock {
        self.0.clock()
    }
}

/// A durable run stopped while its store commits `a`'s record (a slow store, half a
/// second a write; the stop comes 0.2 s into it), on the memory store and SQLite:
/// cancelled through its `RunHandle`, the run ends `Cancelled` naming `b`, once `a`'s
/// record committed (0.3 s later), and is failed in the store with `a` recorded once; a
/// retry restores `a` and runs `b` once. Dropped by its caller instead, the run stays
/// unfinished; a resume at once by the same runtime waits for the record and restores
/// `a`, running `b` once. (On SQLite, tokio's paused clock moves on while SQLite's
/// writer works, so the time is asserted on the memory store only.)
#[tokio::test(start_paused = true)]
async fn a_durable_run_stopped_while_its_store_commits_loses_and_repeats_nothing() {
    let dir = crate::support::TempDir::new("hung-stop");
    for (kind, cancel) in [
        ("memory", true),
        ("memory", false),
        ("sqlite", true),
        ("sqlite", false),
    ] {
        let case = format!("{kind}, {}", if cancel { "cancelled" } else { "dropped" });
        let inner: Arc<dyn Store> = match kind {
            "memory" => Arc::new(MemoryStore::new()),
            _ => Arc::new(
                workflow_core::store::SqliteStore::open(dir.file(&format!("{cancel}.db"))).unwrap(),
            ),
        };
        let handles: Arc<Mutex<Vec<workflow_core::RunHandle>>> = Arc::default();
        let seen = Arc::clone(&handles);
        let writing = Arc::new(tokio::sync::Notify::new());
        let rt = Runtime::builder()
            .store(Slow(Arc::clone(&inner), Arc::clone(&writing)))
            .owner(OwnerId::new("me"))
            .resource(Ran::default())
            .monitor(move |handle| seen.lock().unwrap().push(handle))
            .build();
        let stopped = Mutex::new(None);
        let call = rt.start_durable(Timed, TimedInput { n: 1 }, None);
        let stop = async {
            writing.notified().await;
            tokio::time::sleep(Duration::from_millis(200)).await;
            *stopped.lock().unwrap() = Some(tokio::time::Instant::now());
            if cancel {
                let handle = handles.lock().unwrap()[0].clone();
                assert!(handle.cancel(), "{case}");
            }
        };
        let result = if cancel {
            let (result, ()) = tokio::join!(call, stop);
            Some(result)
        } else {
            tokio::select! {
                _ = call => panic!("{case}: ended before it was dropped"),
                () = stop => None,
            }
        };
        assert_eq!(ran(&rt), ["a", "b"], "{case}");
        let run = inner.list_runs(RunFilter::default()).await.unwrap()[0].id;
        if let Some(result) = result {
            let err = result.unwrap_err();
            assert!(err.is_cancelled(), "{case}: {err}");
            assert_eq!(
                err.to_string(),
                "run of workflow `Timed` was cancelled; still running: b",
                "{case}"
            );
            // It ended once `a`'s record committed, not before.
            if kind == "memory" {
                let stopped = stopped.lock().unwrap().unwrap();
                assert_eq!(stopped.elapsed(), Duration::from_millis(300), "{case}");
            }
            let state = inner.load_run(run).await.unwrap();
            assert_eq!(state.run.status, RunStatus::Failed, "{case}");
            let rows: Vec<_> = state.outputs.iter().map(|o| o.path.as_str()).collect();
            assert_eq!(rows, ["a"], "{case}");
            let retried = rt.retry(Timed, run).await.unwrap();
            assert_eq!(
                (retried.outputs.b, retried.restored()),
                (3, vec!["a"]),
                "{case}"
            );
        } else {
            let resumed = rt.resume(Timed, run).await.unwrap();
            assert_eq!(
                (resumed.outputs.b, resumed.restored()),
                (3, vec!["a"]),
                "{case}"
            );
        }
        assert_eq!(ran(&rt), ["b"], "{case}: only `b` ran again");
        let state = inner.load_run(run).await.unwrap();
        assert_eq!(state.run.status, RunStatus::Succeeded, "{case}");
    }
}
