//! Durable runs: where a run's progress is recorded so that it survives the process.
//!
//! *This is the storage layer of durable runs (issue 16) and its design note. The runtime's
//! durable runs (`#[workflow(durable)]`, `Runtime::start_durable`) build on it.*
//!
//! # The idea
//!
//! A node's identity is its binding path, known at compile time: `page`, or
//! `thumbs[3].img` for binding `img` of item 3 of the fan-out `thumbs` ([`NodePath`]).
//! Resuming a run is therefore "load the recorded outputs into their slots and run the
//! nodes that have none": no replay of user code, no determinism rules.
//!
//! # What is recorded, and when
//!
//! - **A run row** ([`RunRecord`]) when the run starts ([`Store::create_run`]): workflow
//!   name, graph fingerprint, encoded input, idempotency key, status, owner and lease
//!   expiry, claim count. A second create with the same idempotency key returns the first
//!   run ([`CreatedRun::Existing`]); the same key with another workflow or input is an
//!   [`StoreError::IdempotencyConflict`].
//! - **A node row** ([`RecordedOutput`]) when a node succeeds ([`Store::record`]), keyed by
//!   `(run, path)`, with the node's version and output type name, so that a changed node is
//!   recognised and re-run instead of fed a stale value ([`RunState::stale_outputs`] lists
//!   the rows the current graph cannot take, and why). The executor records a node's
//!   output before starting its consumers, so every restored value was fully produced.
//! - **A branch row** ([`BranchChoice`]) when a branch picks an arm, committed with the
//!   branch node's output ([`Store::record_all`]): a resumed run takes the same arm even if
//!   the condition would now decide otherwise, as long as the router is restored; when the
//!   matched node runs again (its code changed, its version was bumped, or something
//!   upstream of it runs again), the router decides again and may take another arm.
//! - **The outcome** when the run ends ([`Store::finish_run`]). On success its node rows
//!   are deleted unless the caller keeps them ([`Retention::Keep`]), so the tables hold
//!   work in flight, not history; failed runs keep theirs for inspection, and for a retry.
//!   Finished run rows stay until [`Store::purge`].
//! - **A failed attempt** ([`FailedAttempt`]) when a failed run is run again
//!   ([`Store::retry_run`]): the row's error and finish time move to
//!   `workflow_run_attempts` and the row is running again, under the same id, with its
//!   node rows, so the nodes that finished are restored and the rest run.
//! - **A new graph** when a resumed or retried run's graph changed
//!   ([`Store::rebase_run`]): the row takes the current fingerprint, and the rows of the
//!   nodes that run again are deleted with it, so each later resume compares with the code
//!   that records from then on.
//!
//! Not recorded: events, tracked waits, resources and `#[ephemeral]` bindings (a
//! connection, a handle): on resume the nodes behind them run again. A node that was
//! running when the process died runs again too, so calls to the outside world should
//! carry an idempotency key derived from the run id and node path.
//!
//! # Leases: each run resumed once
//!
//! A run belongs to the owner ([`OwnerId`]) holding its lease. The owner renews it
//! ([`Store::renew_lease`]) while running; when a process dies its leases run out and
//! [`Store::claim_expired`] hands each expired run to exactly one claimer, even with
//! several processes recovering at once (SQLite: one `BEGIN IMMEDIATE` transaction;
//! Postgres: `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING`).
//! [`Store::claim_run`] resumes one run by id. Every write carries its [`Lease`] and is
//! refused ([`StoreError::LeaseLost`]) once another owner has claimed the run, so a process
//! that stalled past its lease cannot overwrite its successor's rows. Lease times come from
//! the store's [`Clock`] (the system clock; [`ManualClock`] in tests), so processes sharing
//! a store need roughly agreeing clocks: keep leases long against the skew.
//!
//! # Group commit
//!
//! Each database store writes records through one writer that owns a connection: a
//! dedicated thread for SQLite (it runs every SQLite operation, in queue order, so no tokio
//! worker ever blocks on SQLite), a task for Postgres (which also creates and finishes
//! runs; claims, renewals, reads and purges are single atomic statements on a second
//! connection). Writes that arrive while the writer is committing are written together in
//! its next transaction, each in a savepoint of its own so that one failing rolls back
//! alone: a fan-out whose nodes finish together shares its syncs (1,000 concurrent records
//! took 1 commit on SQLite and 2 on Postgres), and so do the run rows of many small
//! concurrent runs. A record call returns once its transaction is committed; one
//! [`Store::record_all`] is never split across transactions. [`Store::stats`] counts
//! commits and records.
//!
//! # What survives what
//!
//! | store | killed process (`SIGKILL`, `abort`, OOM) | power loss, OS crash |
//! |---|---|---|
//! | [`MemoryStore`] | nothing | nothing |
//! | `SqliteStore`, `Durability::SurvivesKilledProcess` (the default: WAL, `synchronous=NORMAL`) | every committed record | the file stays intact; the last commits may be lost |
//! | `SqliteStore`, `Durability::SurvivesPowerLoss` (WAL, `synchronous=FULL`) | every committed record | every committed record |
//! | `PostgresStore` | every committed record | as the server is configured (`fsync`, `synchronous_commit`) |
//!
//! A commit is all or nothing in every mode: a process killed during a batch leaves the
//! whole transaction or none of it, and the run resumes from the rows before it.
//!
//! Measured on the CI machine (2 shared cores, virtual disk; release build, one record of a
//! small struct; `cargo run --release -p workflow-core --features postgres --example
//! store_throughput`):
//!
//! | store | one node at a time | 1,000-node fan-out |
//! |---|---|---|
//! | memory | 0.6 µs/node | 0.7 µs/node, 1 commit |
//! | SQLite, survives a killed process | 45 µs/node | 3.2 µs/node, 1 commit |
//! | SQLite, survives power loss | 4,000 µs/node (one disk sync each) | 4.8 µs/node, 1 commit |
//! | Postgres 15, local, `fsync` on | 6,200 µs/node | 24 µs/node, 2 commits |
//!
//! # Encoding
//!
//! Values cross as bytes made by [`encode`] and read by [`decode`] (JSON, the one
//! [`ENCODING`], named in each store's metadata); a decode error names the run and the
//! node ([`RecordedOutput::decode`]).
//!
//! # Schema
//!
//! Tables `workflow_store_meta` (schema version, encoding), `workflow_runs` (one row per
//! run), `workflow_node_outputs` and `workflow_branches` (one row per `(run_id, path)`),
//! `workflow_run_attempts` (one row per earlier failure of a retried run; schema 2).
//! Migrations run on open, one version at a time. A file that is not a SQLite database, a
//! SQLite file holding other tables, or a store written by a newer version is refused with
//! [`StoreError::Schema`], never overwritten. Postgres tables live in the connection's
//! schema, beside the application's own tables.
//!
//! # Example
//!
//! A run interrupted after its first node, recovered by another owner:
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use workflow_core::store::*;
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let clock = ManualClock::new(Timestamp(0));
//! let store: Arc<dyn Store> = Arc::new(MemoryStore::with_clock(Arc::new(clock.clone())));
//! let lease = Duration::from_secs(30);
//!
//! let created = store
//!     .create_run(NewRun {
//!         workflow: "thumbnails".into(),
//!         fingerprint: GraphFingerprint("v1".into()),
//!         input: encode("https://example.com", None, "input")?,
//!         idempotency_key: Some("order-42".into()),
//!         owner: OwnerId::new("worker-1"),
//!         lease,
//!     })
//!     .await?;
//! let CreatedRun::New(first) = created else { unreachable!() };
//! let run = first.run.id;
//! let page = RecordedOutput::encode(run, NodePath::new("page")?, 1, &vec!["a.png"])?;
//! store.record(&first.lease, Record::Output(page)).await?;
//! // worker-1 dies here. Its lease runs out; worker-2 recovers the run.
//! clock.advance(lease * 2);
//! let recovered = store.claim_expired(&OwnerId::new("worker-2"), lease, 0).await?;
//! assert_eq!(recovered.len(), 1);
//! let state = store.load_run(run).await?;
//! let page: Vec<String> = state.outputs[0].decode(run)?;
//! assert_eq!(page, ["a.png"]);
//! // worker-1's late writes are refused.
//! let late = RecordedOutput::encode(run, NodePath::new("late")?, 1, &0)?;
//! assert!(store.record(&first.lease, Record::Output(late)).await.is_err());
//! let done = store
//!     .finish_run(&recovered[0].lease, RunOutcome::Succeeded { output: None }, Retention::default())
//!     .await?;
//! assert_eq!((done.status, done.claims), (RunStatus::Succeeded, 2));
//! # Ok::<(), StoreError>(())
//! # }).unwrap();
//! ```
//!
//! # Features and what they cost to build
//!
//! | feature | gives | adds to a build of `workflow-core` |
//! |---|---|---|
//! | `store` | this module, [`MemoryStore`] | `serde`, `serde_json`: 5 crates, ~13 s of compile time (debug) |
//! | `sqlite` (default) | `SqliteStore` | `rusqlite` and SQLite's C source (`bundled`): 9 more crates; compiling SQLite takes ~30 s (debug, 2 busy cores) and dominates |
//! | `postgres` | `PostgresStore` | `tokio-postgres` and its protocol, crypto (SCRAM) and RNG crates: 48 more crates, ~30 s (debug), plus tokio's `net` and `io-util` |
//!
//! Without any of them the crate builds as before. `rusqlite` is declared as a version
//! range (see `workflow-core/Cargo.toml`) so that a build that also links `sqlx` can pick
//! the one `libsqlite3-sys` both accept (cargo links one SQLite per build).
//!
//! # In the runtime
//!
//! `#[workflow(durable)]`, `Runtime::start_durable`, `resume`, `recover` and `retry` (of a
//! failed run, through [`Store::retry_run`]), restored nodes
//! in reports, lease renewal and `ctx.idempotency_key()` build on this module; see
//! `workflow-core/src/durable.rs` for the design: an `#[ephemeral]` binding is never
//! recorded, and a node's `#[node(version = N)]` is its rows' `node_version` (a row of
//! another version is not restored). Not used by the runtime: branch rows (a resumed
//! decision reads the arm back from its router's recorded output instead).

mod codec;
mod common;
mod error;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;
mod types;

pub use codec::{decode, encode, ENCODING};
pub use error::StoreError;
pub use memory::MemoryStore;
#[cfg(feature = "postgres")]
pub use postgres::{PostgresStore, PostgresStoreBuilder};
#[cfg(feature = "sqlite")]
pub use sqlite::{Durability, SqliteStore, SqliteStoreBuilder};
pub use types::{
    BranchChoice, Claimed, Clock, CreatedRun, FailedAttempt, GraphFingerprint, Lease, ManualClock,
    NewRun, NodePath, NodeSignature, OwnerId, PurgeFilter, Record, RecordedOutput, Retention,
    RunFilter, RunId, RunOutcome, RunRecord, RunState, RunStatus, Staleness, StoreStats,
    SystemClock, Timestamp,
};

use std::fmt;
use std::time::Duration;

use futures::future::BoxFuture;

/// Where durable runs are recorded. Object safe: runtimes hold an `Arc<dyn Store>`.
///
/// Every method returns once the change is committed (durable as the store's mode says).
/// See the [module docs](self) for what is recorded when.
// The usual slips handing a store to `RuntimeBuilder::store` (a `Result` or a future not
// unwrapped, an `Arc`, a borrow) would otherwise get rustc's list of the impls only.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a store: `.store(..)` takes a `SqliteStore`, `PostgresStore` or `MemoryStore` itself",
    label = "not a `Store`",
    note = "`SqliteStore::open(..)` returns a `Result` (add `?`) and `PostgresStore::connect(..)` a future of one (add `.await?`); a store already in an `Arc` goes to `.store_arc(arc)`; a borrowed `&store` cannot be kept by the runtime: pass it by value, or share it as an `Arc` through `.store_arc(..)`"
)]
pub trait Store: Send + Sync + fmt::Debug {
    /// Creates a run leased to `new.owner`, or returns the run that already has
    /// `new.idempotency_key`.
    ///
    /// # Errors
    ///
    /// [`StoreError::IdempotencyConflict`] when the key names a run of another workflow or
    /// input; database errors.
    fn create_run(&self, new: NewRun) -> BoxFuture<'_, Result<CreatedRun, StoreError>>;

    /// Claims `run` for `owner` for `lease` (resume by id): allowed when the run is
    /// unfinished and its lease expired, is absent, or is already `owner`'s.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`], [`StoreError::Finished`], [`StoreError::LeaseHeld`].
    fn claim_run<'a>(
        &'a self,
        run: RunId,
        owner: &'a OwnerId,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claimed, StoreError>>;

    /// Runs the failed run `run` of `workflow` again, leased to `owner` for `lease`: in one
    /// atomic step, its failure (error and time) is appended to its
    /// [attempts](RunState::attempts), and the same row becomes unfinished again (status
    /// `running`, no error, no finish time, one more claim) with its node and branch rows
    /// kept, so a resume restores the nodes that finished and runs the failed node and
    /// everything after it. The id, input and idempotency key stay the run's.
    ///
    /// Of two owners retrying the same run at once, one gets the run; the other is told it
    /// is running ([`StoreError::NotFailed`]). From then on it is an unfinished run like
    /// any other: renewed, finished, or recovered by [`claim_expired`](Store::claim_expired)
    /// when its owner dies.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`]; [`StoreError::WrongWorkflow`] when the run is another
    /// workflow's; [`StoreError::NotFailed`] when it is running or succeeded (nothing is
    /// changed then); database errors.
    fn retry_run<'a>(
        &'a self,
        run: RunId,
        workflow: &'a str,
        owner: &'a OwnerId,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claimed, StoreError>>;

    /// Claims every unfinished run whose lease has expired (at most `limit`; 0, or more than
    /// `i64::MAX` such as `usize::MAX`, for all),
    /// oldest first. Concurrent callers, in this process or others, never get the same run.
    ///
    /// # Errors
    ///
    /// Database errors.
    fn claim_expired<'a>(
        &'a self,
        owner: &'a OwnerId,
        lease: Duration,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<Claimed>, StoreError>>;

    /// Extends `lease` to `duration` from now.
    ///
    /// # Errors
    ///
    /// [`StoreError::LeaseLost`] when another owner claimed the run or it finished.
    fn renew_lease<'a>(
        &'a self,
        lease: &'a Lease,
        duration: Duration,
    ) -> BoxFuture<'a, Result<Lease, StoreError>>;

    /// Records a node output or branch choice (replacing an earlier row for the same path,
    /// as when a changed node runs again). Same as [`record_all`](Store::record_all) with
    /// one record.
    ///
    /// # Errors
    ///
    /// As [`record_all`](Store::record_all).
    fn record<'a>(
        &'a self,
        lease: &'a Lease,
        record: Record,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.record_all(lease, vec![record])
    }

    /// Records several rows that commit together or not at all, such as a branch node's
    /// output with the arm it chose. Rows replace earlier rows for the same path.
    ///
    /// # Errors
    ///
    /// [`StoreError::LeaseLost`]; database errors (then none of these rows was written).
    fn record_all<'a>(
        &'a self,
        lease: &'a Lease,
        records: Vec<Record>,
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Makes `fingerprint` the graph fingerprint of the run `lease` holds and deletes its
    /// node output rows at `forget`, together: what a resume or retry whose code changed
    /// does before it runs again the nodes that changed (and those downstream of them). A
    /// later resume then compares the graph with the code that records from now on, so a
    /// changed node that ran and was recorded under the new code is restored, not run a
    /// second time; and it finds no row the earlier code recorded for a node that was to
    /// run again.
    ///
    /// The default does neither: with a store that does not override it, every resume
    /// compares with the run's first graph, and the nodes that changed run again each time.
    ///
    /// # Errors
    ///
    /// [`StoreError::LeaseLost`]; database errors (then nothing changed).
    fn rebase_run<'a>(
        &'a self,
        lease: &'a Lease,
        fingerprint: GraphFingerprint,
        forget: Vec<NodePath>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let _ = (lease, fingerprint, forget);
        Box::pin(std::future::ready(Ok(())))
    }

    /// Ends the run with `outcome` and releases its lease. On success its node and branch
    /// rows are deleted unless `retention` is [`Retention::Keep`].
    ///
    /// # Errors
    ///
    /// [`StoreError::LeaseLost`]; database errors.
    fn finish_run<'a>(
        &'a self,
        lease: &'a Lease,
        outcome: RunOutcome,
        retention: Retention,
    ) -> BoxFuture<'a, Result<RunRecord, StoreError>>;

    /// The run's row.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`]; database errors.
    fn get_run(&self, run: RunId) -> BoxFuture<'_, Result<RunRecord, StoreError>>;

    /// The run's row and everything recorded for it: what a resume loads, and what
    /// inspecting a run shows.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`]; database errors.
    fn load_run(&self, run: RunId) -> BoxFuture<'_, Result<RunState, StoreError>>;

    /// Runs matching `filter`, newest first.
    ///
    /// # Errors
    ///
    /// Database errors.
    fn list_runs(&self, filter: RunFilter) -> BoxFuture<'_, Result<Vec<RunRecord>, StoreError>>;

    /// Deletes finished runs matching `filter` with all their rows; returns how many runs.
    /// Their idempotency keys become free again. Unfinished runs are never purged.
    ///
    /// # Errors
    ///
    /// Database errors.
    fn purge(&self, filter: PurgeFilter) -> BoxFuture<'_, Result<u64, StoreError>>;

    /// Commit and record counters.
    fn stats(&self) -> StoreStats;

    /// The clock leases and timestamps are read from.
    fn clock(&self) -> &dyn Clock;
}
