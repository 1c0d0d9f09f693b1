//! A store that never answers (its future never resolves), in each operation a durable
//! call makes: `RuntimeBuilder::store_timeout` bounds each of the call's waits on its
//! store, and the error names the run, the operation the store did not answer and, for a
//! record, the node. What the store holds stays as it was: once the store answers again
//! (or in another owner's runtime, once the lease expired), the run resumes and each
//! node runs once.
//!
//! The limit is real time, kept off tokio's clock: under the paused clock these calls
//! end after [`LIMIT`] of real time with the test's (virtual) clock where the run's
//! nodes left it, and a store answering from a thread of its own (SQLite) does not move
//! the paused clock either (the last test; robust44's limit, a tokio timer, did).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use workflow_core::prelude::*;
use workflow_core::store::{
    Claimed, Clock, CreatedRun, GraphFingerprint, Lease, ManualClock, MemoryStore, NewRun, OwnerId,
    PurgeFilter, Record, RecordedOutput, Retention, RunFilter, RunId, RunOutcome, RunRecord,
    RunState, RunStatus, Store, StoreError, StoreStats, Timestamp,
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

/// A store over a memory store whose operations named in `hang` never answer until the
/// gate is closed ([`Hangs::answer`]); a record write hangs only for a batch holding the
/// node `hang_record_at`. `hung` lists the operations that did hang.
#[derive(Debug)]
struct Hangs {
    inner: Arc<MemoryStore>,
    hang: Mutex<BTreeSet<&'static str>>,
    hang_record_at: Option<&'static str>,
    gate: Arc<tokio::sync::Semaphore>,
    hung: Mutex<Vec<&'static str>>,
}

impl Hangs {
    fn over(inner: &Arc<MemoryStore>, hang: &[&'static str]) -> Arc<Hangs> {
        Arc::new(Hangs {
            inner: Arc::clone(inner),
            hang: Mutex::new(hang.iter().copied().collect()),
            hang_record_at: None,
            gate: Arc::new(tokio::sync::Semaphore::new(0)),
            hung: Mutex::default(),
        })
    }

    /// From now on every operation answers, the hung ones too.
    fn answer(&self) {
        self.hang.lock().unwrap().clear();
        self.gate.close();
    }

    /// `then`, after hanging until [`answer`](Self::answer) when `operation` is to hang.
    fn maybe_hang<'a, T: Send + 'a>(
        &'a self,
        operation: &'static str,
        hang: bool,
        then: BoxFuture<'a, T>,
    ) -> BoxFuture<'a, T> {
        let hang = hang && self.hang.lock().unwrap().contains(operation);
        Box::pin(async move {
            if hang {
                self.hung.lock().unwrap().push(operation);
                // Closed: the acquire fails, and the operation goes on.
                let _ = self.gate.acquire().await;
            }
            then.await
        })
    }
}

impl Store for Hangs {
    fn create_run(&self, new: NewRun) -> BoxFuture<'_, Result<CreatedRun, StoreError>> {
        self.maybe_hang("creating a run", true, self.inner.create_run(new))
    }
    fn claim_run<'a>(
        &'a self,
        run: RunId,
        owner: &'a OwnerId,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claimed, StoreError>> {
        self.maybe_hang(
            "claiming a run",
            true,
            self.inner.claim_run(run, owner, lease),
        )
    }
    fn retry_run<'a>(
        &'a self,
        run: RunId,
        workflow: &'a str,
        owner: &'a OwnerId,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claimed, StoreError>> {
        let then = self.inner.retry_run(run, workflow, owner, lease);
        self.maybe_hang("retrying a run", true, then)
    }
    fn claim_expired<'a>(
        &'a self,
        owner: &'a OwnerId,
        lease: Duration,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<Claimed>, StoreError>> {
        self.inner.claim_expired(owner, lease, limit)
    }
    fn renew_lease<'a>(
        &'a self,
        lease: &'a Lease,
        duration: Duration,
    ) -> BoxFuture<'a, Result<Lease, StoreError>> {
        self.maybe_hang(
            "renewing a lease",
            true,
            self.inner.renew_lease(lease, duration),
        )
    }
    fn record_all<'a>(
        &'a self,
        lease: &'a Lease,
        records: Vec<Record>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let holds = self.hang_record_at.is_none_or(|node| {
            records
                .iter()
                .any(|r| matches!(r, Record::Output(o) if o.path.as_str() == node))
        });
        let then = self.inner.record_all(lease, records);
        self.maybe_hang("recording node outputs", holds, then)
    }
    fn finish_run<'a>(
        &'a self,
        lease: &'a Lease,
        outcome: RunOutcome,
        retention: Retention,
    ) -> BoxFuture<'a, Result<RunRecord, StoreError>> {
        let then = self.inner.finish_run(lease, outcome, retention);
        self.maybe_hang("finishing a run", true, then)
    }
    fn get_run(&self, run: RunId) -> BoxFuture<'_, Result<RunRecord, StoreError>> {
        self.maybe_hang("reading a run", true, self.inner.get_run(run))
    }
    fn load_run(&self, run: RunId) -> BoxFuture<'_, Result<RunState, StoreError>> {
        self.maybe_hang("loading a run", true, self.inner.load_run(run))
    }
    fn list_runs(&self, filter: RunFilter) -> BoxFuture<'_, Result<Vec<RunRecord>, StoreError>> {
        self.maybe_hang("listing runs", true, self.inner.list_runs(filter))
    }
    fn purge(&self, filter: PurgeFilter) -> BoxFuture<'_, Result<u64, StoreError>> {
        self.inner.purge(filter)
    }
    fn stats(&self) -> StoreStats {
        self.inner.stats()
    }
    fn clock(&self) -> &dyn Clock {
        self.inner.clock()
    }
}

/// How long these tests' runtimes wait for each answer of their store, in real time.
const LIMIT: Duration = Duration::from_millis(200);

/// A runtime of owner `owner` over `store`, with a lease of 3 s (renewed every second),
/// waiting [`LIMIT`] for each of the store's answers.
fn runtime(store: Arc<dyn Store>, owner: &str) -> Runtime {
    Runtime::builder()
        .store_arc(store)
        .owner(OwnerId::new(owner))
        .lease(Duration::from_secs(3))
        .store_timeout(LIMIT)
        .resource(Ran::default())
        .build()
}

fn ran(rt: &Runtime) -> Vec<&'static str> {
    rt.resource::<Ran>().unwrap().take()
}

/// A run of `Timed` (input 1) made by a process that died once `a` was recorded, leased
/// to `dead` until 10 s after `clock`'s now; and its lease.
async fn dead_run(store: &MemoryStore) -> Claimed {
    let created = store
        .create_run(NewRun {
            workflow: "Timed".into(),
            fingerprint: GraphFingerprint(
                <Timed as workflow_core::DurableWorkflow>::FINGERPRINT.into(),
            ),
            input: <Timed as workflow_core::DurableWorkflow>::encode_input(&TimedInput { n: 1 })
                .unwrap(),
            idempotency_key: None,
            owner: OwnerId::new("dead"),
            lease: Duration::from_secs(10),
        })
        .await
        .unwrap();
    let CreatedRun::New(claimed) = created else {
        panic!("a new run")
    };
    let a = RecordedOutput::encode(claimed.run.id, "a".parse().unwrap(), 1, &2u64).unwrap();
    store
        .record_all(&claimed.lease, vec![Record::Output(a)])
        .await
        .unwrap();
    claimed
}

/// `call`, bounded by a minute of real time (a call that hangs fails the test), and the
/// virtual and real time it took. The bound is no tokio timer: under the paused clock,
/// tokio would move its clock to it at once, as nothing else is due while the store
/// does not answer (the hazard the store's limit avoids).
async fn timed<T>(call: impl std::future::Future<Output = T>) -> (T, Duration, Duration) {
    let (virtual_start, real_start) = (tokio::time::Instant::now(), std::time::Instant::now());
    let (give_up, gave_up) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(60));
        let _ = give_up.send(());
    });
    let out = tokio::select! {
        out = call => out,
        _ = gave_up => panic!("the call hung a minute past its store's limit"),
    };
    (out, virtual_start.elapsed(), real_start.elapsed())
}

/// The call waited its store's limit, in real time (and not much more than that, on a
/// busy machine).
fn waited_the_limit(real: Duration, case: &str) {
    assert!(real >= LIMIT, "{case}: {real:?}");
    assert!(real < LIMIT + Duration::from_secs(30), "{case}: {real:?}");
}

/// The text every "did not answer" error ends with.
const UNKNOWN: &str = "what the store did with it is unknown: a run it made or claimed \
                       stays unfinished, and `Runtime::resume` (or, once its lease expired, \
                       `Runtime::recover`) takes it up again";

/// A start whose store does not answer as it creates the run, records `b`, renews the
/// lease or finishes the run: the call ends once the store's limit passed (in real
/// time; the test's paused clock is where the nodes left it: 0 s before the run, 2 s
/// after), with an error naming the run (none when it was not created), the operation
/// and the node; the run stays unfinished with what was recorded, and once the store
/// answers it resumes in the same runtime, each node run once.
#[tokio::test(start_paused = true)]
async fn a_start_whose_store_does_not_answer_ends_at_its_limit() {
    let cases: [(&str, Option<&str>, u64, &str); 4] = [
        (
            "creating a run",
            None,
            0,
            "durable workflow `Timed`: the store did not answer creating a run within \
             200ms; ",
        ),
        (
            "recording node outputs",
            Some("b"),
            2,
            "durable run 1 of workflow `Timed`, node `b`: the store did not answer recording \
             node outputs within 200ms; ",
        ),
        (
            "renewing a lease",
            None,
            2,
            "durable run 1 of workflow `Timed`: the store did not answer renewing a lease \
             within 200ms; ",
        ),
        (
            "finishing a run",
            None,
            2,
            "durable run 1 of workflow `Timed`: the store did not answer finishing a run \
             within 200ms; ",
        ),
    ];
    for (operation, at, nodes_took, text) in cases {
        let inner = Arc::new(MemoryStore::new());
        let store = Arc::new(Hangs {
            hang_record_at: at,
            ..Arc::into_inner(Hangs::over(&inner, &[operation])).unwrap()
        });
        let rt = runtime(Arc::clone(&store) as Arc<dyn Store>, "me");
        let call = rt.start_durable(Timed, TimedInput { n: 1 }, None);
        let (err, virtual_time, real_time) = timed(call).await;
        let err = err.unwrap_err();
        assert_eq!(
            virtual_time,
            Duration::from_secs(nodes_took),
            "{operation}: {err}"
        );
        waited_the_limit(real_time, operation);
        assert_eq!(*store.hung.lock().unwrap(), [operation], "{operation}");
        assert_eq!(err.to_string(), format!("{text}{UNKNOWN}"), "{operation}");
        // Nothing below it: the store's error is whole in `{}`.
        assert_eq!(format!("{err:#}"), err.to_string(), "{operation}");
        let WorkflowError::Store { node, .. } = &err else {
            panic!("{operation}: {err:?}")
        };
        assert_eq!(node.as_deref(), at, "{operation}");
        let inside = err.downcast_ref::<StoreError>().expect("the store's error");
        let run = inside.run();
        assert_eq!(
            run,
            (operation != "creating a run").then_some(RunId(1)),
            "{operation}"
        );
        assert!(
            inside.to_string().contains(operation),
            "{operation}: {inside}"
        );

        let listed = inner.list_runs(RunFilter::default()).await.unwrap();
        let Some(run) = run else {
            // The hung create never made its run; nothing ran.
            assert!(listed.is_empty(), "{listed:?}");
            assert!(ran(&rt).is_empty());
            continue;
        };
        assert_eq!(ran(&rt), ["a", "b"], "{operation}");
        let [row] = listed.as_slice() else {
            panic!("{operation}: {listed:?}")
        };
        assert_eq!(
            row.status,
            RunStatus::Running,
            "{operation}: left unfinished"
        );
        // The store answers again: the hung operation goes on (a record commits), and the
        // same runtime resumes the run, restoring what was recorded.
        store.answer();
        let resumed = rt.resume(Timed, run).await.unwrap();
        assert_eq!(resumed.outputs.b, 3, "{operation}");
        assert_eq!(resumed.restored(), ["a", "b"], "{operation}");
        assert!(ran(&rt).is_empty(), "{operation}: no node ran twice");
        let state = inner.load_run(run).await.unwrap();
        assert_eq!(state.run.status, RunStatus::Succeeded, "{operation}");
    }
}

/// After a start cut by its store's silence as it recorded `b` (the record still pending,
/// its recorder still waiting for the store), a resume in the same runtime waits for that
/// recorder, and so is bounded by the store's limit too, with an error saying what it
/// waited for; once the store answers, the resume restores both nodes.
#[tokio::test(start_paused = true)]
async fn a_resume_waiting_for_a_recorder_the_store_does_not_answer_ends_at_its_limit() {
    let inner = Arc::new(MemoryStore::new());
    let store = Arc::new(Hangs {
        hang_record_at: Some("b"),
        ..Arc::into_inner(Hangs::over(&inner, &["recording node outputs"])).unwrap()
    });
    let rt = runtime(Arc::clone(&store) as Arc<dyn Store>, "me");
    let call = rt.start_durable(Timed, TimedInput { n: 1 }, None);
    let (err, _, _) = timed(call).await;
    let err = err.unwrap_err();
    assert!(err.to_string().contains("recording node outputs"), "{err}");
    let (err, virtual_time, real_time) = timed(rt.resume(Timed, RunId(1))).await;
    let err = err.unwrap_err();
    assert_eq!(virtual_time, Duration::ZERO, "{err}");
    waited_the_limit(real_time, "resume");
    assert_eq!(
        err.to_string(),
        format!(
            "durable run 1 of workflow `Timed`: the store did not answer recording node outputs \
             (an earlier drive's, in this runtime) within 200ms; {UNKNOWN}"
        )
    );
    assert_eq!(ran(&rt), ["a", "b"]);
    store.answer();
    let resumed = rt.resume(Timed, RunId(1)).await.unwrap();
    assert_eq!(resumed.restored(), ["a", "b"]);
    assert!(ran(&rt).is_empty(), "no node ran twice");
}

/// A resume, a retry or a recover whose store does not answer as it reads, claims, loads
/// or lists the run: the call ends at the store's limit with an error naming the run (the
/// listing names none) and the operation; no node runs, the run is as it was, and
/// another owner's runtime resumes it afterwards, running `b` once.
#[tokio::test(start_paused = true)]
async fn a_resume_retry_or_recover_whose_store_does_not_answer_ends_at_its_limit() {
    #[derive(Debug, Clone, Copy)]
    enum Call {
        Resume,
        Retry,
        Recover,
    }
    let cases = [
        (Call::Resume, "reading a run"),
        (Call::Resume, "claiming a run"),
        (Call::Resume, "loading a run"),
        (Call::Retry, "retrying a run"),
        (Call::Retry, "loading a run"),
        (Call::Recover, "listing runs"),
        (Call::Recover, "claiming a run"),
        (Call::Recover, "loading a run"),
    ];
    for (call, operation) in cases {
        let case = format!("{call:?} {operation}");
        let clock = ManualClock::new(Timestamp(1_000_000));
        let inner = Arc::new(MemoryStore::with_clock(Arc::new(clock.clone())));
        let claimed = dead_run(&inner).await;
        let run = claimed.run.id;
        if let Call::Retry = call {
            let failed = RunOutcome::Failed {
                error: "b failed".into(),
            };
            let finished = inner.finish_run(&claimed.lease, failed, Retention::Keep);
            finished.await.unwrap();
        }
        clock.advance(Duration::from_secs(11));
        let store = Hangs::over(&inner, &[operation]);
        let rt = runtime(Arc::clone(&store) as Arc<dyn Store>, "me");
        let (err, virtual_time, real_time) = timed(async {
            match call {
                Call::Resume => rt.resume(Timed, run).await.map(|_| ()),
                Call::Retry => rt.retry(Timed, run).await.map(|_| ()),
                Call::Recover => {
                    let recovered = rt.recover(Timed).await?;
                    let [(id, result)] = <[_; 1]>::try_from(recovered).unwrap();
                    assert_eq!(id, run, "{case}");
                    result.map(|_| ())
                }
            }
        })
        .await;
        let err = err.unwrap_err();
        assert_eq!(virtual_time, Duration::ZERO, "{case}: {err}");
        waited_the_limit(real_time, &case);
        assert_eq!(*store.hung.lock().unwrap(), [operation], "{case}");
        let head = match operation {
            "listing runs" => "durable workflow `Timed`".to_owned(),
            _ => format!("durable run {run} of workflow `Timed`"),
        };
        // A retry that cannot load its run fails it again with that error: the store
        // answers that `finish_run` (only the load hangs).
        assert_eq!(
            err.to_string(),
            format!(
                "{head}: the store did not answer {operation} within 200ms; \
                 {UNKNOWN}"
            ),
            "{case}"
        );
        assert!(ran(&rt).is_empty(), "{case}: no node ran");

        // Another owner, once any lease this owner's hung claim took expired.
        store.answer();
        clock.advance(Duration::from_secs(4));
        let next = runtime(Arc::clone(&inner) as Arc<dyn Store>, "next");
        let done = match call {
            Call::Retry => next.retry(Timed, run).await,
            Call::Resume | Call::Recover => next.resume(Timed, run).await,
        }
        .unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(done.outputs.b, 3, "{case}");
        assert_eq!(done.restored(), ["a"], "{case}");
        assert_eq!(ran(&next), ["b"], "{case}");
    }
}

/// SQLite answers from a writer thread of its own, which tokio's paused clock does not
/// wait for: whenever no task can go on, tokio moves its clock to the next timer. The
/// store's limit is no tokio timer, so the test's clock does not move while SQLite works:
/// each run takes exactly its nodes' 2 s of virtual time, with the default limit and with
/// a short one (robust44's limit, a tokio timer at the run's timeout, made a run of 2 s
/// of nodes take 5 to 7 s of the paused clock).
#[tokio::test(start_paused = true)]
async fn a_sqlite_store_under_the_paused_clock_does_not_move_it() {
    let dir = crate::support::TempDir::new("hung-sqlite");
    for (file, limit) in [("default.db", None), ("short.db", Some(LIMIT))] {
        let store = workflow_core::store::SqliteStore::open(dir.file(file)).unwrap();
        let mut builder = Runtime::builder()
            .store(store)
            .owner(OwnerId::new("me"))
            .lease(Duration::from_secs(3))
            .resource(Ran::default());
        if let Some(limit) = limit {
            builder = builder.store_timeout(limit);
        }
        let rt = builder.build();
        for round in 0..5 {
            let started = tokio::time::Instant::now();
            let run = rt.start_durable(Timed, TimedInput { n: 1 }, None).await;
            let run = run.unwrap_or_else(|e| panic!("{file}, round {round}: {e}"));
            assert_eq!(
                started.elapsed(),
                Duration::from_secs(2),
                "{file}, round {round}: the paused clock moved"
            );
            assert_eq!(run.outputs.b, 3, "{file}, round {round}");
            assert_eq!(ran(&rt), ["a", "b"], "{file}, round {round}");
        }
    }
}

/// `Runtime::outputs` reads a run through the same limit: a store that does not answer
/// the read ends the call once the limit passed, naming the run and the operation.
#[tokio::test(start_paused = true)]
async fn reading_a_runs_outputs_from_a_store_that_does_not_answer_ends_at_its_limit() {
    let clock = ManualClock::new(Timestamp(1_000_000));
    let inner = Arc::new(MemoryStore::with_clock(Arc::new(clock.clone())));
    let run = dead_run(&inner).await.run.id;
    let store = Hangs::over(&inner, &["reading a run"]);
    let rt = runtime(Arc::clone(&store) as Arc<dyn Store>, "me");
    let (result, virtual_time, real_time) = timed(rt.outputs(Timed, run)).await;
    let err = result.unwrap_err();
    assert_eq!(virtual_time, Duration::ZERO, "{err}");
    waited_the_limit(real_time, "outputs");
    assert_eq!(*store.hung.lock().unwrap(), ["reading a run"]);
    assert_eq!(
        err.to_string(),
        format!(
            "durable run {run} of workflow `Timed`: the store did not answer reading a run \
             within 200ms; {UNKNOWN}"
        )
    );
    // Once it answers, the read goes on: the run is not finished, which the error says.
    store.answer();
    let err = rt.outputs(Timed, run).await.unwrap_err();
    assert!(err.to_string().contains("running"), "{err}");
}
