//! One behaviour suite for every durable-run store: the in-memory store, SQLite and
//! Postgres run the same cases (`memory::*`, `sqlite::*`, `postgres::*`).
//!
//! Postgres needs a server: set `WORKFLOW_TEST_POSTGRES_URL` (e.g.
//! `host=127.0.0.1 port=5433 user=postgres dbname=workflow_test`). Without it the Postgres
//! cases print that they were skipped and why, and pass, unless
//! `WORKFLOW_REQUIRE_POSTGRES=1` (set by `.ci/run`), where a missing server fails them.
//! Each Postgres case works in its own schema, so cases can run in parallel.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use workflow_core::store::{
    encode, BranchChoice, Claimed, Clock, CreatedRun, FailedAttempt, GraphFingerprint, Lease,
    ManualClock, NewRun, NodePath, OwnerId, PurgeFilter, Record, RecordedOutput, Retention,
    RunFilter, RunId, RunOutcome, RunStatus, SqliteStore, Store, StoreError, Timestamp,
};

use crate::support::{postgres_url, TempDir};

const LEASE: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy)]
enum Kind {
    Memory,
    Sqlite,
    Postgres,
}

/// A fresh, empty store of one kind, and the means to open a second handle on the same
/// data (a second connection: what another process would have).
struct Fixture {
    kind: Kind,
    clock: ManualClock,
    store: Arc<dyn Store>,
    dir: Option<TempDir>,
    schema: String,
}

impl Fixture {
    /// `None` when the kind is not available here (Postgres without a server, when allowed).
    async fn new(kind: Kind, case: &str) -> Option<Fixture> {
        let clock = ManualClock::new(Timestamp(1_000_000));
        let schema = format!("wf_test_{case}");
        let (store, dir): (Arc<dyn Store>, _) = match kind {
            Kind::Memory => (
                Arc::new(workflow_core::store::MemoryStore::with_clock(Arc::new(
                    clock.clone(),
                ))),
                None,
            ),
            Kind::Sqlite => {
                let dir = TempDir::new(case);
                let store = SqliteStore::builder(dir.file("runs.db"))
                    .clock(Arc::new(clock.clone()))
                    .open()
                    .expect("open the SQLite store");
                (Arc::new(store), Some(dir))
            }
            Kind::Postgres => (postgres::open(&schema, &clock, true).await?, None),
        };
        Some(Fixture {
            kind,
            clock,
            store,
            dir,
            schema,
        })
    }

    /// Another handle on the same data, with its own connection.
    async fn second_handle(&self) -> Arc<dyn Store> {
        match self.kind {
            Kind::Memory => self.store.clone(),
            Kind::Sqlite => Arc::new(
                SqliteStore::builder(self.dir.as_ref().unwrap().file("runs.db"))
                    .clock(Arc::new(self.clock.clone()))
                    .open()
                    .expect("open a second SQLite handle"),
            ),
            Kind::Postgres => postgres::open(&self.schema, &self.clock, false)
                .await
                .expect("a second Postgres connection"),
        }
    }
}

mod postgres {
    use super::*;
    use workflow_core::store::PostgresStore;

    /// Opens a store in `schema` (emptied first when `fresh`), or `None` when Postgres is
    /// not configured and not required.
    pub(super) async fn open(
        schema: &str,
        clock: &ManualClock,
        fresh: bool,
    ) -> Option<Arc<dyn Store>> {
        let url = postgres_url(&format!("store case in schema `{schema}`"))?;
        if fresh {
            PostgresStore::drop_schema(&url, schema)
                .await
                .unwrap_or_else(|e| panic!("Postgres at `{url}` unusable: {e}"));
        }
        let store = PostgresStore::builder(&url)
            .schema(schema)
            .clock(Arc::new(clock.clone()))
            .connect()
            .await
            .unwrap_or_else(|e| panic!("Postgres at `{url}` unusable: {e}"));
        Some(Arc::new(store))
    }
}

fn new_run(workflow: &str, input: u32, key: Option<&str>, owner: &OwnerId) -> NewRun {
    NewRun {
        workflow: workflow.to_owned(),
        fingerprint: GraphFingerprint("fp-1".into()),
        input: encode(&input, None, "input").unwrap(),
        idempotency_key: key.map(str::to_owned),
        owner: owner.clone(),
        lease: LEASE,
    }
}

async fn create(store: &dyn Store, new: NewRun) -> (Lease, RunId) {
    match store.create_run(new).await.unwrap() {
        CreatedRun::New(claimed) => (claimed.lease.clone(), claimed.run.id),
        CreatedRun::Existing(run) => panic!("run {} already existed", run.id),
    }
}

async fn succeed(store: &dyn Store, lease: &Lease, retention: Retention) {
    let outcome = RunOutcome::Succeeded { output: None };
    store.finish_run(lease, outcome, retention).await.unwrap();
}

fn path(text: &str) -> NodePath {
    text.parse().unwrap()
}

fn output<T: serde::Serialize>(run: RunId, at: &str, version: u32, value: &T) -> Record {
    Record::Output(RecordedOutput::encode(run, path(at), version, value).unwrap())
}

// ---------------------------------------------------------------------------------------
// The cases.
// ---------------------------------------------------------------------------------------

async fn idempotency(f: Fixture) {
    let store = &*f.store;
    let a = OwnerId::new("a");
    let first = store
        .create_run(new_run("etl", 1, Some("order-7"), &a))
        .await
        .unwrap();
    assert!(!first.already_existed());
    let again = store
        .create_run(new_run("etl", 1, Some("order-7"), &OwnerId::new("b")))
        .await
        .unwrap();
    assert!(again.already_existed());
    assert_eq!(again.run_id(), first.run_id());
    let CreatedRun::Existing(row) = again else {
        unreachable!()
    };
    assert_eq!(
        row.owner,
        Some(a.clone()),
        "the second create left the lease alone"
    );
    assert_eq!(row.claims, 1);

    let err = store
        .create_run(new_run("etl", 2, Some("order-7"), &a))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::IdempotencyConflict { run, what: "another input", .. } if *run == first.run_id()),
        "{err}"
    );
    let err = store
        .create_run(new_run("other", 1, Some("order-7"), &a))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::IdempotencyConflict {
                what: "another workflow",
                ..
            }
        ),
        "{err}"
    );

    // Without a key every create is a new run.
    let x = store.create_run(new_run("etl", 1, None, &a)).await.unwrap();
    let y = store.create_run(new_run("etl", 1, None, &a)).await.unwrap();
    assert!(!x.already_existed() && !y.already_existed());
    assert_ne!(x.run_id(), y.run_id());
    assert_ne!(x.run_id(), first.run_id());
}

async fn record_and_load(f: Fixture) {
    let store = &*f.store;
    let a = OwnerId::new("a");
    let (lease, run) = create(store, new_run("etl", 5, None, &a)).await;
    store
        .record(
            &lease,
            output(run, "page", 1, &vec!["x".to_owned(), "y".to_owned()]),
        )
        .await
        .unwrap();
    store
        .record(&lease, output(run, "thumbs[3].img", 2, &(3u8, 4u8)))
        .await
        .unwrap();
    store
        .record(&lease, output(run, "thumbs[10].img", 2, &(10u8, 11u8)))
        .await
        .unwrap();

    let state = store.load_run(run).await.unwrap();
    assert_eq!(state.run.id, run);
    assert_eq!(state.run.workflow, "etl");
    assert_eq!(state.run.fingerprint, GraphFingerprint("fp-1".into()));
    assert_eq!(state.run.status, RunStatus::Running);
    let input: u32 = workflow_core::store::decode(&state.run.input, run, "input").unwrap();
    assert_eq!(input, 5);
    let paths: Vec<&str> = state.outputs.iter().map(|o| o.path.as_str()).collect();
    assert_eq!(paths.len(), 3);
    let page = state
        .outputs
        .iter()
        .find(|o| o.path == path("page"))
        .unwrap();
    assert_eq!(page.node_version, 1);
    assert_eq!(page.output_type, std::any::type_name::<Vec<String>>());
    assert_eq!(page.decode::<Vec<String>>(run).unwrap(), ["x", "y"]);
    let img = state
        .outputs
        .iter()
        .find(|o| o.path == path("thumbs[3].img"))
        .unwrap();
    assert_eq!(img.decode::<(u8, u8)>(run).unwrap(), (3, 4));

    // A changed node runs again and its new row replaces the old one.
    store
        .record(&lease, output(run, "page", 2, &7u64))
        .await
        .unwrap();
    let state = store.load_run(run).await.unwrap();
    assert_eq!(state.outputs.len(), 3);
    let page = state
        .outputs
        .iter()
        .find(|o| o.path == path("page"))
        .unwrap();
    assert_eq!(
        (page.node_version, page.decode::<u64>(run).unwrap()),
        (2, 7)
    );
    assert_eq!(page.output_type, "u64");

    // A row that no longer decodes names the run and the node.
    let err = page.decode::<String>(run).unwrap_err();
    assert_eq!(err.run(), Some(run));
    assert_eq!(err.node(), Some(path("page")));
    assert!(
        err.to_string().contains(&format!("page of run {run}")),
        "{err}"
    );

    // Rows of another run stay apart.
    let (other_lease, other) = create(store, new_run("etl", 6, None, &a)).await;
    store
        .record(&other_lease, output(other, "page", 1, &0u8))
        .await
        .unwrap();
    assert_eq!(store.load_run(run).await.unwrap().outputs.len(), 3);
    assert_eq!(store.load_run(other).await.unwrap().outputs.len(), 1);

    let missing = RunId(run.0 + 1_000);
    assert!(matches!(
        store.load_run(missing).await,
        Err(StoreError::NotFound { run }) if run == missing
    ));
}

async fn branch_choices(f: Fixture) {
    let store = &*f.store;
    let (lease, run) = create(store, new_run("route", 1, None, &OwnerId::new("a"))).await;
    let choice = |at: &str, arm: &str| {
        Record::Branch(BranchChoice {
            path: path(at),
            arm: arm.to_owned(),
        })
    };
    store
        .record(&lease, choice("route", "small"))
        .await
        .unwrap();
    store
        .record(&lease, choice("items[2].kind", "image"))
        .await
        .unwrap();
    store
        .record(&lease, output(run, "route", 1, &1u8))
        .await
        .unwrap();
    let state = store.load_run(run).await.unwrap();
    assert_eq!(
        state.branches,
        [
            BranchChoice {
                path: path("items[2].kind"),
                arm: "image".into()
            },
            BranchChoice {
                path: path("route"),
                arm: "small".into()
            },
        ]
    );
    assert_eq!(state.outputs.len(), 1, "a branch row is not an output row");
    store
        .record(&lease, choice("route", "large"))
        .await
        .unwrap();
    let state = store.load_run(run).await.unwrap();
    assert_eq!(state.branches.len(), 2);
    assert_eq!(state.branches[1].arm, "large");
}

async fn leases(f: Fixture) {
    let store = &*f.store;
    let (a, b) = (OwnerId::new("a"), OwnerId::new("b"));
    let (lease_a, run) = create(store, new_run("etl", 1, None, &a)).await;
    assert_eq!(lease_a.expires_at, f.clock.now().plus(LEASE));

    // Held: nobody else may claim it, by id or as expired.
    let err = store.claim_run(run, &b, LEASE).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::LeaseHeld { owner, .. } if *owner == a),
        "{err}"
    );
    // The expiry reads as a time, not as `Timestamp(..)`.
    assert_eq!(
        err.to_string(),
        format!(
            "run {run} is leased to `a` until {}: another runtime runs it, or ran it and \
             stopped. `Runtime::recover` takes it over once that lease expires; a restarted \
             process resumes it at once if it names its runtime's owner alike \
             (`RuntimeBuilder::owner(OwnerId::new(..))`; the default owner is new in each \
             runtime)",
            f.clock.now().plus(LEASE)
        )
    );
    assert!(!err.to_string().contains("Timestamp"), "{err}");
    assert!(store.claim_expired(&b, LEASE, 0).await.unwrap().is_empty());

    // Renewed: still held past the first expiry.
    f.clock.advance(Duration::from_secs(20));
    let renewed = store.renew_lease(&lease_a, LEASE).await.unwrap();
    assert_eq!(renewed.expires_at, f.clock.now().plus(LEASE));
    f.clock.advance(Duration::from_secs(20));
    assert!(store.claim_expired(&b, LEASE, 0).await.unwrap().is_empty());
    // The holder may re-claim its own run (a resume in the same process).
    let lease_a = store.claim_run(run, &a, LEASE).await.unwrap().lease;

    // Expired: `b` takes it over.
    f.clock.advance(LEASE + Duration::from_secs(1));
    let claimed = store.claim_run(run, &b, LEASE).await.unwrap();
    assert_eq!(claimed.run.owner, Some(b.clone()));
    assert_eq!(claimed.run.claims, 3);
    assert_eq!(claimed.lease.owner, b);

    // `a` stalled past its lease: its writes are refused, and say why.
    let err = store
        .record(&lease_a, output(run, "page", 1, &1u8))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::LeaseLost { run: r, owner, reason } if *r == run && *owner == a && reason.contains("`b`")),
        "{err}"
    );
    assert!(matches!(
        store.renew_lease(&lease_a, LEASE).await,
        Err(StoreError::LeaseLost { .. })
    ));
    assert!(matches!(
        store
            .finish_run(
                &lease_a,
                RunOutcome::Failed { error: "x".into() },
                Retention::Keep
            )
            .await,
        Err(StoreError::LeaseLost { .. })
    ));
    assert!(store.load_run(run).await.unwrap().outputs.is_empty());
    store
        .record(&claimed.lease, output(run, "page", 1, &2u8))
        .await
        .unwrap();

    assert!(matches!(
        store.claim_run(RunId(run.0 + 1_000), &b, LEASE).await,
        Err(StoreError::NotFound { .. })
    ));
}

async fn concurrent_recovery(f: Fixture) {
    // Two processes (two connections) recover at once: each expired run goes to one.
    let first = f.store.clone();
    let second = f.second_handle().await;
    let dead = OwnerId::new("dead");
    let mut runs = BTreeSet::new();
    for round in 0..5 {
        for i in 0..20 {
            let (_, run) = create(&*first, new_run("etl", round * 100 + i, None, &dead)).await;
            runs.insert(run);
        }
        // One more that must not be recovered: its lease is fresh.
        f.clock.advance(LEASE + Duration::from_secs(1));
        let (_, alive) = create(&*first, new_run("etl", 9_999 + round, None, &dead)).await;

        let (b, c) = (OwnerId::new("b"), OwnerId::new("c"));
        let claimers = (0..4).map(|i| {
            let (store, owner) = if i % 2 == 0 {
                (first.clone(), b.clone())
            } else {
                (second.clone(), c.clone())
            };
            async move {
                let mut got = Vec::new();
                // Small batches so that the claimers interleave.
                loop {
                    let batch = store.claim_expired(&owner, LEASE, 3).await.unwrap();
                    if batch.is_empty() {
                        return got;
                    }
                    got.extend(batch);
                }
            }
        });
        let claims: Vec<_> = join_all(claimers).await.into_iter().flatten().collect();
        let ids: Vec<RunId> = claims.iter().map(|c| c.run.id).collect();
        let unique: BTreeSet<RunId> = ids.iter().copied().collect();
        assert_eq!(ids.len(), unique.len(), "a run was claimed twice: {ids:?}");
        assert_eq!(unique, runs, "every expired run claimed, the fresh one not");
        assert!(!unique.contains(&alive));
        for c in &claims {
            assert_eq!(c.run.claims, 2);
            assert_eq!(Some(&c.lease.owner), c.run.owner.as_ref());
        }
        // Hand them back (as finished) before the next round.
        for c in &claims {
            first
                .finish_run(
                    &c.lease,
                    RunOutcome::Succeeded { output: None },
                    Retention::Keep,
                )
                .await
                .unwrap();
        }
        runs.clear();
        runs.insert(alive);
    }
}

async fn finish_and_retention(f: Fixture) {
    let store = &*f.store;
    let a = OwnerId::new("a");
    let fill = |lease: Lease, run: RunId| async move {
        store
            .record(&lease, output(run, "page", 1, &1u8))
            .await
            .unwrap();
        store
            .record(
                &lease,
                Record::Branch(BranchChoice {
                    path: path("route"),
                    arm: "x".into(),
                }),
            )
            .await
            .unwrap();
    };

    // Succeeded: rows deleted, outcome kept.
    let (lease, run) = create(store, new_run("etl", 1, None, &a)).await;
    fill(lease.clone(), run).await;
    f.clock.advance(Duration::from_secs(1));
    let out = encode(&"done", Some(run), "output").unwrap();
    let row = store
        .finish_run(
            &lease,
            RunOutcome::Succeeded {
                output: Some(out.clone()),
            },
            Retention::DeleteOnSuccess,
        )
        .await
        .unwrap();
    assert_eq!(row.status, RunStatus::Succeeded);
    assert_eq!(row.finished_at, Some(f.clock.now()));
    assert_eq!((row.owner.clone(), row.lease_expires_at), (None, None));
    let state = store.load_run(run).await.unwrap();
    assert_eq!(state.run, row);
    assert_eq!(state.run.output, Some(out));
    assert!(state.outputs.is_empty() && state.branches.is_empty());

    // Finished: no more claims or writes.
    assert!(matches!(
        store.claim_run(run, &a, LEASE).await,
        Err(StoreError::Finished {
            status: RunStatus::Succeeded,
            ..
        })
    ));
    let err = store
        .record(&lease, output(run, "late", 1, &1u8))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::LeaseLost { reason, .. } if reason.contains("succeeded")),
        "{err}"
    );
    f.clock.advance(LEASE * 2);
    assert!(store.claim_expired(&a, LEASE, 0).await.unwrap().is_empty());

    // Keep: rows stay.
    let (lease, run) = create(store, new_run("etl", 2, None, &a)).await;
    fill(lease.clone(), run).await;
    succeed(store, &lease, Retention::Keep).await;
    let state = store.load_run(run).await.unwrap();
    assert_eq!((state.outputs.len(), state.branches.len()), (1, 1));

    // Failed: rows stay for inspection, with the error.
    let (lease, run) = create(store, new_run("etl", 3, None, &a)).await;
    fill(lease.clone(), run).await;
    store
        .finish_run(
            &lease,
            RunOutcome::Failed {
                error: "node `page` failed".into(),
            },
            Retention::DeleteOnSuccess,
        )
        .await
        .unwrap();
    let state = store.load_run(run).await.unwrap();
    assert_eq!(state.run.status, RunStatus::Failed);
    assert_eq!(state.run.error.as_deref(), Some("node `page` failed"));
    assert_eq!(state.outputs.len(), 1);
}

async fn list_and_inspect(f: Fixture) {
    let store = &*f.store;
    let a = OwnerId::new("a");
    let mut ids = Vec::new();
    for i in 0..6 {
        let workflow = if i % 2 == 0 { "even" } else { "odd" };
        let (lease, run) = create(store, new_run(workflow, i, None, &a)).await;
        if i < 2 {
            succeed(store, &lease, Retention::Keep).await;
        }
        ids.push(run);
    }
    let all = store.list_runs(RunFilter::default()).await.unwrap();
    let listed: Vec<RunId> = all.iter().map(|r| r.id).collect();
    let newest_first: Vec<RunId> = ids.iter().rev().copied().collect();
    assert_eq!(listed, newest_first);

    let running = store
        .list_runs(RunFilter {
            status: Some(RunStatus::Running),
            ..RunFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(running.len(), 4);
    assert!(running.iter().all(|r| r.status == RunStatus::Running));

    let even = store
        .list_runs(RunFilter {
            workflow: Some("even".into()),
            limit: 2,
            ..RunFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(
        even.iter().map(|r| r.id).collect::<Vec<_>>(),
        [ids[4], ids[2]]
    );
    let page2 = store
        .list_runs(RunFilter {
            workflow: Some("even".into()),
            before: Some(ids[2]),
            ..RunFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(page2.iter().map(|r| r.id).collect::<Vec<_>>(), [ids[0]]);

    let row = store.get_run(ids[3]).await.unwrap();
    assert_eq!(
        (row.workflow.as_str(), row.status),
        ("odd", RunStatus::Running)
    );
    assert_eq!(row.owner, Some(a.clone()));
    assert_eq!(row, all[2]);
    let missing = RunId(ids[5].0 + 100);
    let err = store.get_run(missing).await.unwrap_err();
    assert_eq!(err.run(), Some(missing));

    // A limit past `i64::MAX` is no limit, like 0: cast to the database's integer it
    // was negative, which Postgres refused ("LIMIT must not be negative").
    let unlimited = store
        .list_runs(RunFilter {
            limit: usize::MAX,
            ..RunFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(unlimited, all);
    f.clock.advance(LEASE + Duration::from_secs(1));
    let b = OwnerId::new("b");
    let claimed = store.claim_expired(&b, LEASE, usize::MAX).await.unwrap();
    let mut claimed: Vec<RunId> = claimed.iter().map(|c| c.run.id).collect();
    claimed.sort();
    assert_eq!(claimed, ids[2..]);
}

async fn purge(f: Fixture) {
    let store = &*f.store;
    let a = OwnerId::new("a");
    let finish = |lease: Lease, outcome| async move {
        store
            .finish_run(&lease, outcome, Retention::Keep)
            .await
            .unwrap();
    };
    let ok = || RunOutcome::Succeeded { output: None };
    let (old_ok, old_ok_id) = create(store, new_run("etl", 1, Some("k1"), &a)).await;
    store
        .record(&old_ok, output(old_ok_id, "page", 1, &1u8))
        .await
        .unwrap();
    finish(old_ok, ok()).await;
    let (old_failed, old_failed_id) = create(store, new_run("etl", 2, None, &a)).await;
    finish(
        old_failed,
        RunOutcome::Failed {
            error: "boom".into(),
        },
    )
    .await;
    let (_, old_running) = create(store, new_run("etl", 3, None, &a)).await;
    f.clock.advance(Duration::from_secs(3_600));
    let cutoff = f.clock.now();
    f.clock.advance(Duration::from_secs(1));
    let (recent, recent_id) = create(store, new_run("etl", 4, None, &a)).await;
    finish(recent, ok()).await;

    // Only failed ones first.
    let purged = store
        .purge(PurgeFilter {
            finished_before: cutoff,
            status: Some(RunStatus::Failed),
        })
        .await
        .unwrap();
    assert_eq!(purged, 1);
    assert!(matches!(
        store.get_run(old_failed_id).await,
        Err(StoreError::NotFound { .. })
    ));
    // Then everything finished before the cutoff; the running and the recent run stay.
    let purged = store
        .purge(PurgeFilter {
            finished_before: cutoff,
            status: None,
        })
        .await
        .unwrap();
    assert_eq!(purged, 1);
    let left: BTreeSet<RunId> = store
        .list_runs(RunFilter::default())
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(left, BTreeSet::from([old_running, recent_id]));
    // A purged run's key is free again (and its id is not reused).
    let again = store
        .create_run(new_run("etl", 1, Some("k1"), &a))
        .await
        .unwrap();
    assert!(!again.already_existed());
    assert!(again.run_id() > recent_id);
    assert!(store
        .load_run(again.run_id())
        .await
        .unwrap()
        .outputs
        .is_empty());
    // Running is never purged.
    let purged = store
        .purge(PurgeFilter {
            finished_before: Timestamp(i64::MAX),
            status: Some(RunStatus::Running),
        })
        .await
        .unwrap();
    assert_eq!(purged, 0);
}

async fn group_commit(f: Fixture) {
    const N: usize = 500;
    let store = &*f.store;
    let (lease, run) = create(store, new_run("fanout", 1, None, &OwnerId::new("a"))).await;
    let before = store.stats();
    let records = (0..N).map(|i| {
        let lease = &lease;
        async move {
            store
                .record(lease, output(run, &format!("items[{i}].thumb"), 1, &i))
                .await
        }
    });
    for result in join_all(records).await {
        result.unwrap();
    }
    let after = store.stats();
    let commits = after.commits - before.commits;
    assert_eq!(after.records - before.records, N as u64);
    println!(
        "{:?}: {N} concurrent records took {commits} commits",
        f.kind
    );
    assert!(
        commits * 20 <= N as u64,
        "{N} concurrent records took {commits} commits; group commit should need far fewer"
    );
    let state = store.load_run(run).await.unwrap();
    assert_eq!(state.outputs.len(), N);
    let item = state
        .outputs
        .iter()
        .find(|o| o.path == path("items[417].thumb"))
        .unwrap();
    assert_eq!(item.decode::<usize>(run).unwrap(), 417);
}

async fn batch_with_a_lost_lease(f: Fixture) {
    // One record in a batch is refused; the others in the same commit are written.
    let store = &*f.store;
    let (a, b) = (OwnerId::new("a"), OwnerId::new("b"));
    let (stale, run_lost) = create(store, new_run("etl", 1, None, &a)).await;
    f.clock.advance(LEASE * 2);
    store.claim_run(run_lost, &b, LEASE).await.unwrap();
    let (lease, run) = create(store, new_run("etl", 2, None, &a)).await;
    let results = join_all((0..10).map(|i| {
        let (lease, run) = if i == 5 {
            (&stale, run_lost)
        } else {
            (&lease, run)
        };
        store.record(lease, output(run, &format!("n{i}"), 1, &i))
    }))
    .await;
    for (i, result) in results.iter().enumerate() {
        assert_eq!(result.is_err(), i == 5, "record {i}: {result:?}");
    }
    assert_eq!(store.load_run(run).await.unwrap().outputs.len(), 9);
    assert!(store.load_run(run_lost).await.unwrap().outputs.is_empty());
}

/// Runs each case against each kind: `memory::idempotency`, `sqlite::idempotency`, ...
/// A failed run is run again under its id: its node rows and key stay, its failure moves to
/// its attempts, and it is running (one more claim) until it ends again. Misuse changes
/// nothing: unknown runs, runs of another workflow, running and succeeded runs.
async fn retry(f: Fixture) {
    let store = &*f.store;
    let (a, b) = (OwnerId::new("a"), OwnerId::new("b"));
    let fail = |lease: Lease, error: &'static str| async move {
        let outcome = RunOutcome::Failed {
            error: error.into(),
        };
        store
            .finish_run(&lease, outcome, Retention::DeleteOnSuccess)
            .await
            .unwrap()
    };
    let (lease, run) = create(store, new_run("etl", 1, Some("order-1"), &a)).await;
    store
        .record(&lease, output(run, "extract", 1, &vec![1u32, 2]))
        .await
        .unwrap();

    // Not failed yet: running.
    let err = store.retry_run(run, "etl", &b, LEASE).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::NotFailed {
                run: r,
                status: RunStatus::Running
            } if r == run
        ),
        "{err}"
    );
    assert!(err.to_string().contains("still running"), "{err}");

    f.clock.advance(Duration::from_secs(1));
    let failed = fail(lease.clone(), "transform: connection refused").await;
    let failed_at = failed.finished_at.unwrap();

    // Misuse: nothing changes.
    let err = store.retry_run(RunId(9_999), "etl", &b, LEASE).await;
    assert!(
        matches!(err, Err(StoreError::NotFound { run: RunId(9_999) })),
        "{err:?}"
    );
    let err = store
        .retry_run(run, "billing", &b, LEASE)
        .await
        .unwrap_err();
    let StoreError::WrongWorkflow {
        run: r,
        workflow,
        expected,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!((*r, &**workflow, &**expected), (run, "etl", "billing"));
    assert_eq!(
        err.to_string(),
        format!("run {run} is a run of workflow `etl`, not of `billing`")
    );
    // Claiming (resuming) a failed run is still refused, and says how to retry it.
    let err = store.claim_run(run, &b, LEASE).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Finished {
                status: RunStatus::Failed,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("Runtime::retry"), "{err}");
    assert_eq!(store.get_run(run).await.unwrap(), failed);

    // The retry: same row, running again under b, rows and key kept.
    f.clock.advance(Duration::from_secs(1));
    let claimed = store.retry_run(run, "etl", &b, LEASE).await.unwrap();
    assert_eq!(claimed.lease.run, run);
    assert_eq!(claimed.lease.owner, b);
    assert_eq!(claimed.lease.expires_at, f.clock.now().plus(LEASE));
    let row = &claimed.run;
    assert_eq!(row.id, run);
    assert_eq!(row.status, RunStatus::Running);
    assert_eq!(row.owner.as_ref(), Some(&b));
    assert_eq!(row.lease_expires_at, Some(claimed.lease.expires_at));
    assert_eq!(row.claims, 2);
    assert_eq!(
        (row.finished_at, &row.error, &row.output),
        (None, &None, &None)
    );
    assert_eq!(
        (
            &row.workflow,
            &row.input,
            &row.created_at,
            &row.idempotency_key
        ),
        (
            &failed.workflow,
            &failed.input,
            &failed.created_at,
            &failed.idempotency_key
        )
    );
    let state = store.load_run(run).await.unwrap();
    assert_eq!(&state.run, row);
    let paths: Vec<&str> = state.outputs.iter().map(|o| o.path.as_str()).collect();
    assert_eq!(paths, ["extract"]);
    assert_eq!(
        state.attempts,
        [FailedAttempt {
            attempt: 1,
            error: "transform: connection refused".into(),
            failed_at,
        }]
    );
    // The key names the retried run.
    let again = store
        .create_run(new_run("etl", 1, Some("order-1"), &a))
        .await
        .unwrap();
    assert!(
        matches!(&again, CreatedRun::Existing(r) if r.id == run && r.status == RunStatus::Running),
        "{again:?}"
    );

    // A second retry now finds it running; a's old lease no longer writes.
    let err = store.retry_run(run, "etl", &a, LEASE).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::NotFailed {
                status: RunStatus::Running,
                ..
            }
        ),
        "{err}"
    );
    let err = store
        .record(&lease, output(run, "late", 1, &0u8))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::LeaseLost { .. }), "{err}");

    // It is an unfinished run like any other: its lease is renewed, it is recovered when
    // it expires, and it fails again: both failures kept, in order.
    store
        .record(&claimed.lease, output(run, "transform", 1, &3u32))
        .await
        .unwrap();
    f.clock.advance(LEASE * 2);
    let recovered = store.claim_expired(&a, LEASE, 0).await.unwrap();
    assert_eq!(recovered.len(), 1);
    assert_eq!((recovered[0].run.id, recovered[0].run.claims), (run, 3));
    let second = fail(recovered[0].lease.clone(), "load: disk full").await;
    let claimed = store.retry_run(run, "etl", &a, LEASE).await.unwrap();
    assert_eq!(claimed.run.claims, 4);
    let state = store.load_run(run).await.unwrap();
    assert_eq!(state.outputs.len(), 2);
    assert_eq!(
        state.attempts,
        [
            FailedAttempt {
                attempt: 1,
                error: "transform: connection refused".into(),
                failed_at,
            },
            FailedAttempt {
                attempt: 2,
                error: "load: disk full".into(),
                failed_at: second.finished_at.unwrap(),
            },
        ]
    );

    // Succeeded: its node rows go (the default retention), its history stays until purged;
    // a succeeded run is not retried.
    succeed(store, &claimed.lease, Retention::DeleteOnSuccess).await;
    let state = store.load_run(run).await.unwrap();
    assert_eq!(state.run.status, RunStatus::Succeeded);
    assert!(state.outputs.is_empty());
    assert_eq!(state.attempts.len(), 2);
    let err = store.retry_run(run, "etl", &a, LEASE).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::NotFailed {
                status: RunStatus::Succeeded,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("succeeded"), "{err}");
    f.clock.advance(Duration::from_secs(1));
    let purged = store
        .purge(PurgeFilter {
            finished_before: f.clock.now(),
            status: None,
        })
        .await
        .unwrap();
    assert_eq!(purged, 1);
    assert!(matches!(
        store.load_run(run).await,
        Err(StoreError::NotFound { .. })
    ));
    // A new run does not inherit the purged run's history (SQLite and Postgres never reuse
    // ids; the memory store neither).
    let (lease, fresh) = create(store, new_run("etl", 1, Some("order-1"), &a)).await;
    assert_ne!(fresh, run);
    fail(lease, "again").await;
    assert!(store.load_run(fresh).await.unwrap().attempts.is_empty());
}

/// Owners retrying the same failed run at once, through their own connections: exactly one
/// gets it; the others are told it is running.
async fn concurrent_retries(f: Fixture) {
    let owners: Vec<OwnerId> = (0..4).map(|i| OwnerId::new(format!("p{i}"))).collect();
    let (lease, run) = create(&*f.store, new_run("etl", 1, None, &owners[0])).await;
    f.store
        .finish_run(
            &lease,
            RunOutcome::Failed {
                error: "boom".into(),
            },
            Retention::DeleteOnSuccess,
        )
        .await
        .unwrap();
    let mut handles = vec![f.store.clone()];
    for _ in 1..owners.len() {
        handles.push(f.second_handle().await);
    }
    let results = join_all(
        handles
            .iter()
            .zip(&owners)
            .map(|(store, owner)| store.retry_run(run, "etl", owner, LEASE)),
    )
    .await;
    let won: Vec<&Claimed> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(won.len(), 1, "{results:?}");
    for result in &results {
        if let Err(e) = result {
            assert!(
                matches!(
                    e,
                    StoreError::NotFailed {
                        status: RunStatus::Running,
                        ..
                    }
                ),
                "{e}"
            );
        }
    }
    let state = f.store.load_run(run).await.unwrap();
    assert_eq!(state.run.owner.as_ref(), Some(&won[0].lease.owner));
    assert_eq!((state.run.claims, state.attempts.len()), (2, 1));
}

macro_rules! conformance {
    ($($case:ident),* $(,)?) => {
        conformance!(@kind memory, Memory, $($case),*);
        conformance!(@kind sqlite, Sqlite, $($case),*);
        conformance!(@kind postgres_store, Postgres, $($case),*);
    };
    (@kind $module:ident, $kind:ident, $($case:ident),*) => {
        mod $module {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let name = concat!(stringify!($module), "_", stringify!($case));
                    if let Some(fixture) = super::Fixture::new(super::Kind::$kind, name).await {
                        super::$case(fixture).await;
                    }
                }
            )*
        }
    };
}

conformance!(
    idempotency,
    record_and_load,
    branch_choices,
    leases,
    concurrent_recovery,
    finish_and_retention,
    list_and_inspect,
    purge,
    group_commit,
    batch_with_a_lost_lease,
    retry,
    concurrent_retries,
);
