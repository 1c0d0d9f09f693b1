//! The SQLite store: one database file, no server.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::error::BoxError;
use futures::future::BoxFuture;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use tokio::sync::oneshot;

use super::common::{
    about_run, check_claim, check_lease, check_retry, check_same_run, check_version, claims,
    first_path, parse_path, parse_status, parse_version, reply_records, retried_row, split_outcome,
    Counters, PendingRecord,
};
use super::{
    BranchChoice, Claimed, Clock, CreatedRun, FailedAttempt, GraphFingerprint, Lease, NewRun,
    NodePath, OwnerId, PurgeFilter, Record, RecordedOutput, Retention, RunFilter, RunId,
    RunOutcome, RunRecord, RunState, RunStatus, Store, StoreError, StoreStats, SystemClock,
    Timestamp, ENCODING,
};

/// What a commit survives. Both modes use SQLite's write-ahead log; a commit is atomic in
/// both (a crash leaves a whole batch or none of it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `synchronous=NORMAL`: a committed record survives the process being killed
    /// (`SIGKILL`, `abort`, out of memory), since the OS still holds it; a power loss or OS
    /// crash may lose the last commits (the database stays intact). No sync per commit.
    #[default]
    SurvivesKilledProcess,
    /// `synchronous=FULL`: a committed record survives power loss too. One sync to disk
    /// per commit, shared by every record in the batch.
    SurvivesPowerLoss,
}

/// Each migration takes the schema from the version before it to its own.
const MIGRATIONS: &[(u32, &str)] = &[
    (
        1,
        "CREATE TABLE workflow_runs (
        -- AUTOINCREMENT: ids of purged runs are never handed out again.
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        workflow TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        input BLOB NOT NULL,
        idempotency_key TEXT UNIQUE,
        status TEXT NOT NULL,
        owner TEXT,
        lease_expires_at INTEGER,
        claims INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        finished_at INTEGER,
        output BLOB,
        error TEXT
    );
    CREATE INDEX workflow_runs_by_status ON workflow_runs (status, lease_expires_at);
    CREATE TABLE workflow_node_outputs (
        run_id INTEGER NOT NULL,
        path TEXT NOT NULL,
        node_version INTEGER NOT NULL,
        output_type TEXT NOT NULL,
        value BLOB NOT NULL,
        PRIMARY KEY (run_id, path)
    ) WITHOUT ROWID;
    CREATE TABLE workflow_branches (
        run_id INTEGER NOT NULL,
        path TEXT NOT NULL,
        arm TEXT NOT NULL,
        PRIMARY KEY (run_id, path)
    ) WITHOUT ROWID;",
    ),
    (
        2,
        // The earlier failures of retried runs (`Store::retry_run`).
        "CREATE TABLE workflow_run_attempts (
        run_id INTEGER NOT NULL,
        attempt INTEGER NOT NULL,
        error TEXT NOT NULL,
        failed_at INTEGER NOT NULL,
        PRIMARY KEY (run_id, attempt)
    ) WITHOUT ROWID;",
    ),
];

/// The `workflow_runs` columns, in the order [`run_from_row`] reads them.
const RUN_COLUMNS: &str = "id, workflow, fingerprint, input, idempotency_key, status, owner, \
     lease_expires_at, claims, created_at, finished_at, output, error";

/// How long a write waits for another process's transaction before failing.
const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Most operations the writer takes from its queue at once.
const MAX_BATCH: usize = 4096;

/// A store in one SQLite database file (SQLite is compiled in; no server).
///
/// ```
/// # fn main() -> Result<(), workflow_core::store::StoreError> {
/// # let dir = std::env::temp_dir().join(format!("wf-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// # let path = dir.join("runs.db");
/// use workflow_core::store::SqliteStore;
///
/// let store = SqliteStore::open(&path)?;
/// # drop(store);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok(())
/// # }
/// ```
///
/// The connection lives on a dedicated thread, the store's writer: no tokio worker ever
/// blocks on SQLite. Operations queue to it; whatever queued together (records, and the
/// run rows that concurrent runs create, claim and finish) commits in one transaction
/// (group commit), each operation in a savepoint of its own so that one failing rolls
/// back alone, and every caller is answered after the commit. Several processes may open the same file: claims take
/// SQLite's write lock (`BEGIN IMMEDIATE`), so each expired run goes to one of them.
///
/// Under tokio's paused clock (`start_paused`, `tokio::time::pause`), the clock jumps to
/// the next timer whenever every task waits, and waiting on this writer thread is
/// waiting: a virtual timeout around a durable run (`tokio::time::timeout(1s,
/// rt.start_durable(..))`) can fire while the run's row is being created, before its
/// first node ran, so nothing is recorded. Nothing acknowledged is lost (the run can be
/// resumed), but such a test does not test what it means to: use
/// [`MemoryStore`](crate::store::MemoryStore), which answers within tokio, for
/// paused-clock tests, and the real clock for tests of this store.
#[derive(Debug)]
pub struct SqliteStore {
    queue: Option<mpsc::Sender<Op>>,
    thread: Option<JoinHandle<()>>,
    counters: Arc<Counters>,
    clock: Arc<dyn Clock>,
    path: PathBuf,
    /// The file as errors name it ([`location`]), shared with each operation's future.
    location: Arc<str>,
}

/// Options for [`SqliteStore`]; [`SqliteStore::open`] takes the defaults.
#[derive(Debug)]
pub struct SqliteStoreBuilder {
    path: PathBuf,
    durability: Durability,
    clock: Arc<dyn Clock>,
    busy_timeout: Duration,
}

impl SqliteStoreBuilder {
    /// What a commit survives ([`Durability::SurvivesKilledProcess`] by default).
    pub fn durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }

    /// The clock for leases and timestamps (the system clock by default).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// How long a write waits for another connection's lock on the file (another
    /// process, a backup tool, `sqlite3` in a shell) before it fails: 10 s by default.
    /// A write that gives up fails its durable run with [`StoreError::Backend`] naming
    /// the run and node (the run's earlier rows stay; resume it once the lock is gone).
    /// Zero fails at once. SQLite counts the wait in milliseconds in a C `int`: a longer
    /// timeout (past about 24.8 days, `Duration::MAX` included) waits that long, the
    /// most it can.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), workflow_core::store::StoreError> {
    /// use std::time::Duration;
    /// use workflow_core::store::SqliteStore;
    ///
    /// let store = SqliteStore::builder("runs.db")
    ///     .busy_timeout(Duration::from_secs(2))
    ///     .open()?;
    /// # drop(store);
    /// # Ok(())
    /// # }
    /// ```
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// Opens (or creates) the database, runs pending migrations and starts the writer.
    /// Blocks the calling thread for that long; call it at startup.
    ///
    /// # Errors
    ///
    /// [`StoreError::Schema`] when the file is not a SQLite database, is corrupt, holds
    /// other tables but no workflow store, or was written by a newer version;
    /// [`StoreError::Unavailable`] when it cannot be opened.
    pub fn open(self) -> Result<SqliteStore, StoreError> {
        let conn = open_connection(&self.path, self.durability, self.busy_timeout)
            .map_err(|e| at_location(&self.path, e))?;
        let counters = Arc::new(Counters::default());
        let (queue, receiver) = mpsc::channel();
        let mut writer = Writer {
            conn,
            clock: self.clock.clone(),
            counters: counters.clone(),
            in_batch: false,
            wrote: false,
        };
        let thread = std::thread::Builder::new()
            .name("workflow-sqlite-store".into())
            .spawn(move || writer.serve(receiver))
            .map_err(|e| {
                let e = StoreError::unavailable("starting the SQLite writer thread", e);
                at_location(&self.path, e)
            })?;
        Ok(SqliteStore {
            queue: Some(queue),
            thread: Some(thread),
            counters,
            clock: self.clock,
            location: location(&self.path).into(),
            path: self.path,
        })
    }
}

impl SqliteStore {
    /// Opens (or creates) the store at `path` with the defaults: survives a killed process,
    /// system clock. See [`SqliteStoreBuilder::open`].
    ///
    /// # Errors
    ///
    /// As [`SqliteStoreBuilder::open`].
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        SqliteStore::builder(path).open()
    }

    /// Options for opening the store at `path`.
    pub fn builder(path: impl AsRef<Path>) -> SqliteStoreBuilder {
        SqliteStoreBuilder {
            path: path.as_ref().to_owned(),
            durability: Durability::default(),
            clock: Arc::new(SystemClock),
            busy_timeout: DEFAULT_BUSY_TIMEOUT,
        }
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Queues `op` for the writer and waits for its answer.
    fn call<T: Send + 'static>(
        &self,
        operation: &'static str,
        op: impl FnOnce(&mut Writer) -> Result<T, StoreError> + Send + 'static,
    ) -> BoxFuture<'static, Result<T, StoreError>> {
        let (queue, location) = (self.queue.clone(), Arc::clone(&self.location));
        Box::pin(async move {
            let (reply, answer) = oneshot::channel();
            let job: Job = Box::new(move |writer| {
                let result = op(writer);
                Box::new(move |committed: Result<(), &StoreError>| {
                    // The caller may have stopped waiting; the work is done either way.
                    let _ = reply.send(match committed {
                        Ok(()) => result,
                        Err(e) => Err(e.for_batch()),
                    });
                })
            });
            send(queue, Op::Job(job), operation)?;
            let answer = answer.await.map_err(|_| writer_gone(operation))?;
            answer.map_err(|e| on_file(&location, e))
        })
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        // Closing the queue stops the writer after the operations already queued; joining
        // it closes the database before the store is gone (so the file can be reopened).
        self.queue = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn send(
    queue: Option<mpsc::Sender<Op>>,
    op: Op,
    operation: &'static str,
) -> Result<(), StoreError> {
    queue
        .ok_or_else(|| writer_gone(operation))?
        .send(op)
        .map_err(|_| writer_gone(operation))
}

fn writer_gone(operation: &'static str) -> StoreError {
    StoreError::unavailable(operation, "the SQLite writer thread stopped")
}

/// An operation for the writer; what it returns answers the caller once the operation's
/// transaction committed (or with the commit's error).
type Job = Box<dyn FnOnce(&mut Writer) -> Reply + Send>;
type Reply = Box<dyn FnOnce(Result<(), &StoreError>) + Send>;

/// What the writer thread is asked to do.
enum Op {
    /// Records, committed with the other records queued beside it.
    Record {
        lease: Lease,
        records: Vec<Record>,
        reply: oneshot::Sender<Result<(), StoreError>>,
    },
    /// Anything else, in queue order, in a savepoint of its own.
    Job(Job),
}

/// The writer thread's state: the one connection.
struct Writer {
    conn: Connection,
    clock: Arc<dyn Clock>,
    counters: Arc<Counters>,
    /// A batch's transaction is open: writes go into savepoints of it.
    in_batch: bool,
    /// Something was written in the open batch (a batch of reads commits nothing).
    wrote: bool,
}

impl Writer {
    fn serve(&mut self, queue: mpsc::Receiver<Op>) {
        while let Ok(first) = queue.recv() {
            // Take everything queued meanwhile: writes that arrived while the last commit
            // was syncing share the next one.
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match queue.try_recv() {
                    Ok(op) => batch.push(op),
                    Err(_) => break,
                }
            }
            self.run_batch(batch);
        }
    }

    /// Runs a batch in one transaction (group commit across runs: the run rows that
    /// concurrent runs create and finish share a sync, as their records do). Each job and
    /// each group of records between jobs has a savepoint of its own, so a failed one
    /// rolls back alone; every caller is answered after the commit, so none hears of a
    /// write a crash could still undo. When the transaction cannot start (the database is
    /// locked past the busy timeout), each operation runs in its own transaction instead.
    fn run_batch(&mut self, batch: Vec<Op>) {
        self.in_batch = self.conn.execute_batch("BEGIN IMMEDIATE").is_ok();
        self.wrote = false;
        let mut replies: Vec<Reply> = Vec::with_capacity(batch.len());
        let mut records = Vec::new();
        for op in batch {
            match op {
                Op::Record {
                    lease,
                    records: rows,
                    reply,
                } => records.push((lease, rows, reply)),
                Op::Job(job) => {
                    // Keep queue order: records queued before this job are written first.
                    replies.push(self.commit_records(std::mem::take(&mut records)));
                    replies.push(job(self));
                }
            }
        }
        replies.push(self.commit_records(records));
        let committed = if self.in_batch {
            self.in_batch = false;
            match self.conn.execute_batch("COMMIT") {
                Ok(()) => {
                    if self.wrote {
                        self.counters.committed();
                    }
                    Ok(())
                }
                Err(e) => {
                    let _ = self.conn.execute_batch("ROLLBACK");
                    Err(sql_error("committing a batch of writes", e))
                }
            }
        } else {
            Ok(())
        };
        for reply in replies {
            reply(committed.as_ref().map(|_| ()));
        }
    }

    /// Writes `records` in a savepoint (of the batch's transaction, or outside one a
    /// transaction of its own) and returns what answers their callers.
    fn commit_records(&mut self, records: Vec<PendingRecord>) -> Reply {
        if records.is_empty() {
            return Box::new(|_| {});
        }
        let in_batch = self.in_batch;
        let mut results: Vec<Result<(), StoreError>> = Vec::with_capacity(records.len());
        let outcome = (|| -> Result<(), StoreError> {
            // Outside a transaction, a savepoint is a transaction of its own.
            let tx = self
                .conn
                .savepoint()
                .map_err(|e| sql_error("recording node outputs", e))?;
            let mut holders: HashMap<RunId, Option<(RunStatus, Option<OwnerId>)>> = HashMap::new();
            for (lease, rows, _) in &records {
                let holder = match holders.entry(lease.run) {
                    Entry::Occupied(known) => known.into_mut(),
                    Entry::Vacant(slot) => slot.insert(lease_row(&tx, lease.run)?),
                };
                let allowed = check_lease(lease, holder.as_ref().map(|(s, o)| (*s, o.as_ref())));
                if allowed.is_ok() {
                    for record in rows {
                        write_record(&tx, lease.run, record)?;
                    }
                }
                results.push(allowed);
            }
            tx.commit()
                .map_err(|e| sql_error("committing node outputs", e))
        })();
        let counters = Arc::clone(&self.counters);
        if in_batch {
            self.wrote |= outcome.is_ok();
            Box::new(move |committed| {
                let outcome = match (outcome, committed) {
                    (Ok(()), Ok(())) => {
                        let written: usize = records
                            .iter()
                            .zip(&results)
                            .filter(|(_, result)| result.is_ok())
                            .map(|((_, rows, _), _)| rows.len())
                            .sum();
                        counters.recorded(written);
                        Ok(())
                    }
                    (Err(e), _) => Err(e),
                    (Ok(()), Err(e)) => Err(e.for_batch()),
                };
                reply_records(records, outcome, results);
            })
        } else {
            counters.answer(records, outcome, results);
            Box::new(|_| {})
        }
    }

    /// Runs `body` in a savepoint of the batch's transaction, or outside a batch in an
    /// immediate (write-locked) transaction of its own, and counts the commit.
    fn write<T>(
        &mut self,
        operation: &'static str,
        body: impl FnOnce(&Connection, Timestamp) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let now = self.clock.now();
        if self.in_batch {
            // Dropped on error: rolled back to where it started.
            let sp = self.conn.savepoint().map_err(|e| sql_error(operation, e))?;
            let value = body(&sp, now)?;
            sp.commit().map_err(|e| sql_error(operation, e))?;
            self.wrote = true;
            return Ok(value);
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| sql_error(operation, e))?;
        let value = body(&tx, now)?;
        tx.commit().map_err(|e| sql_error(operation, e))?;
        self.counters.committed();
        Ok(value)
    }

    fn create_run(&mut self, new: NewRun) -> Result<CreatedRun, StoreError> {
        self.write("creating a run", |tx, now| {
            if let Some(key) = &new.idempotency_key {
                let existing = tx
                    .query_row(
                        &format!(
                            "SELECT {RUN_COLUMNS} FROM workflow_runs WHERE idempotency_key = ?1"
                        ),
                        params![key],
                        run_from_row,
                    )
                    .optional()
                    .map_err(|e| sql_error("creating a run", e))?;
                if let Some(existing) = existing {
                    let existing = existing?;
                    check_same_run(key, &existing, &new)?;
                    return Ok(CreatedRun::Existing(existing));
                }
            }
            let expires = now.plus(new.lease);
            let run = tx
                .query_row(
                    &format!(
                        "INSERT INTO workflow_runs (workflow, fingerprint, input, idempotency_key, \
                         status, owner, lease_expires_at, claims, created_at) \
                         VALUES (?1, ?2, ?3, ?4, 'running', ?5, ?6, 1, ?7) RETURNING {RUN_COLUMNS}"
                    ),
                    params![
                        new.workflow,
                        new.fingerprint.0,
                        new.input,
                        new.idempotency_key,
                        new.owner.0,
                        expires.0,
                        now.0
                    ],
                    run_from_row,
                )
                .map_err(|e| sql_error("creating a run", e))??;
            Ok(CreatedRun::New(Claimed {
                lease: Lease {
                    run: run.id,
                    owner: new.owner,
                    expires_at: expires,
                },
                run,
            }))
        })
    }

    fn claim_run(
        &mut self,
        run: RunId,
        owner: OwnerId,
        lease: Duration,
    ) -> Result<Claimed, StoreError> {
        self.write("claiming a run", |tx, now| {
            let row = get_run(tx, run)?;
            check_claim(&row, &owner, now)?;
            let mut claimed = claim_where(tx, "id = ?3", run.0, &owner, now, lease)?;
            claimed.pop().ok_or(StoreError::NotFound { run })
        })
    }

    fn retry_run(
        &mut self,
        run: RunId,
        workflow: String,
        owner: OwnerId,
        lease: Duration,
    ) -> Result<Claimed, StoreError> {
        let operation = "retrying a run";
        self.write(operation, |tx, now| {
            let row = get_run(tx, run)?;
            check_retry(&row, &workflow)?;
            let earlier: i64 = tx
                .query_row(
                    "SELECT count(*) FROM workflow_run_attempts WHERE run_id = ?1",
                    params![run.0],
                    |r| r.get(0),
                )
                .map_err(|e| sql_error(operation, e))?;
            let attempt = u32::try_from(earlier).unwrap_or(u32::MAX).saturating_add(1);
            let expires_at = now.plus(lease);
            let (failed, row) = retried_row(row, attempt, &owner, expires_at);
            tx.execute(
                "INSERT INTO workflow_run_attempts (run_id, attempt, error, failed_at) \
                 VALUES (?1, ?2, ?3, ?4)",
                params![run.0, failed.attempt, failed.error, failed.failed_at.0],
            )
            .map_err(|e| sql_error(operation, e))?;
            tx.execute(
                "UPDATE workflow_runs SET status = 'running', owner = ?1, lease_expires_at = ?2, \
                 claims = claims + 1, finished_at = NULL, output = NULL, error = NULL \
                 WHERE id = ?3",
                params![owner.0, expires_at.0, run.0],
            )
            .map_err(|e| sql_error(operation, e))?;
            Ok(Claimed {
                lease: Lease {
                    run,
                    owner,
                    expires_at,
                },
                run: row,
            })
        })
    }

    fn claim_expired(
        &mut self,
        owner: OwnerId,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<Claimed>, StoreError> {
        self.write("claiming expired runs", |tx, now| {
            // SQLite reads LIMIT -1 as no limit.
            let limit = super::common::sql_limit(limit).unwrap_or(-1);
            claim_where(
                tx,
                "id IN (SELECT id FROM workflow_runs WHERE status = 'running' \
                 AND (lease_expires_at IS NULL OR lease_expires_at <= ?4) ORDER BY id LIMIT ?3)",
                limit,
                &owner,
                now,
                lease,
            )
        })
    }

    fn renew_lease(&mut self, lease: Lease, duration: Duration) -> Result<Lease, StoreError> {
        self.write("renewing a lease", |tx, now| {
            let holder = lease_row(tx, lease.run)?;
            check_lease(&lease, holder.as_ref().map(|(s, o)| (*s, o.as_ref())))?;
            let expires = now.plus(duration);
            tx.execute(
                "UPDATE workflow_runs SET lease_expires_at = ?1 WHERE id = ?2",
                params![expires.0, lease.run.0],
            )
            .map_err(|e| sql_error("renewing a lease", e))?;
            Ok(Lease {
                expires_at: expires,
                ..lease
            })
        })
    }

    fn rebase_run(
        &mut self,
        lease: Lease,
        fingerprint: GraphFingerprint,
        forget: Vec<NodePath>,
    ) -> Result<(), StoreError> {
        let op = "rebasing a run";
        self.write(op, |tx, _| {
            let holder = lease_row(tx, lease.run)?;
            check_lease(&lease, holder.as_ref().map(|(s, o)| (*s, o.as_ref())))?;
            tx.execute(
                "UPDATE workflow_runs SET fingerprint = ?1 WHERE id = ?2",
                params![fingerprint.0, lease.run.0],
            )
            .map_err(|e| sql_error(op, e))?;
            let mut delete = tx
                .prepare_cached("DELETE FROM workflow_node_outputs WHERE run_id = ?1 AND path = ?2")
                .map_err(|e| sql_error(op, e))?;
            for path in &forget {
                delete
                    .execute(params![lease.run.0, path.as_str()])
                    .map_err(|e| sql_error(op, e))?;
            }
            Ok(())
        })
    }

    fn finish_run(
        &mut self,
        lease: Lease,
        outcome: RunOutcome,
        retention: Retention,
    ) -> Result<RunRecord, StoreError> {
        self.write("finishing a run", |tx, now| {
            let holder = lease_row(tx, lease.run)?;
            check_lease(&lease, holder.as_ref().map(|(s, o)| (*s, o.as_ref())))?;
            let (status, output, error) = split_outcome(outcome);
            let row = tx
                .query_row(
                    &format!(
                        "UPDATE workflow_runs SET status = ?1, output = ?2, error = ?3, \
                         owner = NULL, lease_expires_at = NULL, finished_at = ?4 \
                         WHERE id = ?5 RETURNING {RUN_COLUMNS}"
                    ),
                    params![status.as_str(), output, error, now.0, lease.run.0],
                    run_from_row,
                )
                .map_err(|e| sql_error("finishing a run", e))??;
            if status == RunStatus::Succeeded && retention == Retention::DeleteOnSuccess {
                delete_rows(tx, "run_id = ?1", params![lease.run.0])?;
            }
            Ok(row)
        })
    }

    fn load_run(&mut self, run: RunId) -> Result<RunState, StoreError> {
        // A consistent read: within the batch's transaction, or one of its own.
        let tx = self
            .conn
            .savepoint()
            .map_err(|e| sql_error("loading a run", e))?;
        let row = get_run(&tx, run)?;
        let outputs = tx
            .prepare_cached(
                "SELECT path, node_version, output_type, value FROM workflow_node_outputs \
                 WHERE run_id = ?1 ORDER BY path",
            )
            .and_then(|mut stmt| {
                stmt.query_map(params![run.0], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Vec<u8>>(3)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()
            })
            .map_err(|e| sql_error("loading node outputs", e))?
            .into_iter()
            .map(|(path, version, output_type, value)| {
                Ok(RecordedOutput {
                    node_version: parse_version(run, &path, version)?,
                    path: parse_path(run, &path)?,
                    output_type,
                    value,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let branches = tx
            .prepare_cached(
                "SELECT path, arm FROM workflow_branches WHERE run_id = ?1 ORDER BY path",
            )
            .and_then(|mut stmt| {
                stmt.query_map(params![run.0], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })?
                .collect::<Result<Vec<_>, _>>()
            })
            .map_err(|e| sql_error("loading branch choices", e))?
            .into_iter()
            .map(|(path, arm)| {
                Ok(BranchChoice {
                    path: parse_path(run, &path)?,
                    arm,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let attempts = tx
            .prepare_cached(
                "SELECT attempt, error, failed_at FROM workflow_run_attempts \
                 WHERE run_id = ?1 ORDER BY attempt",
            )
            .and_then(|mut stmt| {
                stmt.query_map(params![run.0], |r| {
                    Ok(FailedAttempt {
                        attempt: r.get(0)?,
                        error: r.get(1)?,
                        failed_at: Timestamp(r.get(2)?),
                    })
                })?
                .collect::<Result<Vec<_>, _>>()
            })
            .map_err(|e| sql_error("loading a run's attempts", e))?;
        tx.finish().map_err(|e| sql_error("loading a run", e))?;
        Ok(RunState {
            run: row,
            outputs,
            branches,
            attempts,
        })
    }

    fn list_runs(&mut self, filter: RunFilter) -> Result<Vec<RunRecord>, StoreError> {
        // SQLite reads LIMIT -1 as no limit.
        let limit = super::common::sql_limit(filter.limit).unwrap_or(-1);
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {RUN_COLUMNS} FROM workflow_runs \
                 WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR workflow = ?2) \
                 AND (?3 IS NULL OR id < ?3) ORDER BY id DESC LIMIT ?4"
            ))
            .map_err(|e| sql_error("listing runs", e))?;
        let rows = stmt
            .query_map(
                params![
                    filter.status.map(RunStatus::as_str),
                    filter.workflow,
                    filter.before.map(|r| r.0),
                    limit
                ],
                run_from_row,
            )
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| sql_error("listing runs", e))?;
        rows.into_iter().collect()
    }

    fn purge(&mut self, filter: PurgeFilter) -> Result<u64, StoreError> {
        self.write("purging runs", |tx, _| {
            let selected = "SELECT id FROM workflow_runs WHERE status != 'running' \
                 AND (?1 IS NULL OR status = ?1) AND finished_at < ?2";
            let status = filter.status.map(RunStatus::as_str);
            let cutoff = filter.finished_before.0;
            delete_rows(
                tx,
                &format!("run_id IN ({selected})"),
                params![status, cutoff],
            )?;
            tx.execute(
                &format!("DELETE FROM workflow_run_attempts WHERE run_id IN ({selected})"),
                params![status, cutoff],
            )
            .map_err(|e| sql_error("purging runs", e))?;
            let purged = tx
                .execute(
                    &format!("DELETE FROM workflow_runs WHERE id IN ({selected})"),
                    params![status, cutoff],
                )
                .map_err(|e| sql_error("purging runs", e))?;
            Ok(purged as u64)
        })
    }
}

/// Claims the runs matching `condition` (with `?3` bound to `arg`, `?4` to now).
fn claim_where(
    tx: &Connection,
    condition: &str,
    arg: i64,
    owner: &OwnerId,
    now: Timestamp,
    lease: Duration,
) -> Result<Vec<Claimed>, StoreError> {
    let expires = now.plus(lease);
    // `?4 IS NOT NULL` binds `now` for conditions that do not use it (SQLite refuses
    // parameters a statement does not mention).
    let mut stmt = tx
        .prepare_cached(&format!(
            "UPDATE workflow_runs SET owner = ?1, lease_expires_at = ?2, claims = claims + 1 \
             WHERE {condition} AND ?4 IS NOT NULL RETURNING {RUN_COLUMNS}"
        ))
        .map_err(|e| sql_error("claiming runs", e))?;
    let rows = stmt
        .query_map(params![owner.0, expires.0, arg, now.0], run_from_row)
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .map_err(|e| sql_error("claiming runs", e))?;
    claims(rows, owner)
}

fn get_run(conn: &Connection, run: RunId) -> Result<RunRecord, StoreError> {
    conn.query_row(
        &format!("SELECT {RUN_COLUMNS} FROM workflow_runs WHERE id = ?1"),
        params![run.0],
        run_from_row,
    )
    .optional()
    .map_err(|e| sql_error("reading a run", e))?
    .ok_or(StoreError::NotFound { run })?
}

/// The run's status and owner, `None` when it is gone.
fn lease_row(
    conn: &Connection,
    run: RunId,
) -> Result<Option<(RunStatus, Option<OwnerId>)>, StoreError> {
    let row = conn
        .prepare_cached("SELECT status, owner FROM workflow_runs WHERE id = ?1")
        .and_then(|mut stmt| {
            stmt.query_row(params![run.0], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
            })
            .optional()
        })
        .map_err(|e| sql_error("checking a lease", e))?;
    row.map(|(status, owner)| Ok((parse_status(run, &status)?, owner.map(OwnerId))))
        .transpose()
}

fn write_record(conn: &Connection, run: RunId, record: &Record) -> Result<(), StoreError> {
    let written = match record {
        Record::Output(out) => conn
            .prepare_cached(
                "INSERT INTO workflow_node_outputs (run_id, path, node_version, output_type, value) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (run_id, path) DO UPDATE SET \
                 node_version = excluded.node_version, output_type = excluded.output_type, \
                 value = excluded.value",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    run.0,
                    out.path.as_str(),
                    i64::from(out.node_version),
                    out.output_type,
                    out.value
                ])
            }),
        Record::Branch(choice) => conn
            .prepare_cached(
                "INSERT INTO workflow_branches (run_id, path, arm) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (run_id, path) DO UPDATE SET arm = excluded.arm",
            )
            .and_then(|mut stmt| stmt.execute(params![run.0, choice.path.as_str(), choice.arm])),
    };
    written
        .map(drop)
        .map_err(|e| sql_error("recording a node output", e))
}

/// Deletes the node and branch rows of the runs matching `condition` on `run_id`.
fn delete_rows(
    conn: &Connection,
    condition: &str,
    args: impl rusqlite::Params + Clone,
) -> Result<(), StoreError> {
    for table in ["workflow_node_outputs", "workflow_branches"] {
        conn.execute(
            &format!("DELETE FROM {table} WHERE {condition}"),
            args.clone(),
        )
        .map_err(|e| sql_error("deleting recorded rows", e))?;
    }
    Ok(())
}

/// Reads a row selected with [`RUN_COLUMNS`]. The outer error is SQLite's, the inner one a
/// value this build cannot read.
fn run_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<RunRecord, StoreError>> {
    let id = RunId(r.get(0)?);
    let status: String = r.get(5)?;
    let claims: i64 = r.get(8)?;
    let owner: Option<String> = r.get(6)?;
    let record = |status| -> rusqlite::Result<RunRecord> {
        Ok(RunRecord {
            id,
            workflow: r.get(1)?,
            fingerprint: GraphFingerprint(r.get(2)?),
            input: r.get(3)?,
            idempotency_key: r.get(4)?,
            status,
            owner: owner.clone().map(OwnerId),
            lease_expires_at: r.get::<_, Option<i64>>(7)?.map(Timestamp),
            claims: u32::try_from(claims).unwrap_or(u32::MAX),
            created_at: Timestamp(r.get(9)?),
            finished_at: r.get::<_, Option<i64>>(10)?.map(Timestamp),
            output: r.get(11)?,
            error: r.get(12)?,
        })
    };
    match parse_status(id, &status) {
        Ok(status) => record(status).map(Ok),
        Err(e) => Ok(Err(e)),
    }
}

/// SQLite's verdicts on a file that is not a usable database become schema errors; the rest
/// are backend errors.
fn sql_error(operation: &'static str, e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(code, _) = &e {
        if matches!(
            code.code,
            rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt
        ) {
            return StoreError::Schema {
                location: operation.to_owned(),
                reason: format!("the file is corrupt or not a SQLite database ({e})"),
            };
        }
    }
    StoreError::backend(operation, e)
}

/// `e`, the error of an operation on the open database at `location`, naming the file
/// where the file is the cause: a corrupt one (a schema error, named by its operation
/// where it was made), or one SQLite opened read-only, which refuses every write.
fn on_file(location: &str, e: StoreError) -> StoreError {
    match e {
        StoreError::Schema {
            location: operation,
            reason,
        } if operation != location => StoreError::Schema {
            location: location.to_owned(),
            reason: format!("{reason} (while {operation})"),
        },
        StoreError::Backend {
            operation,
            run,
            node,
            source,
        } if read_only(&*source) => StoreError::Backend {
            operation,
            run,
            node,
            source: AtLocation::wrap(
                location.to_owned(),
                source,
                Some(
                    "SQLite opened it read-only, as the file or its directory cannot be \
                     written: make them writable (permissions, `chattr -i`, a read-write \
                     mount), or open a writable copy"
                        .to_owned(),
                ),
            ),
        },
        other => other,
    }
}

/// Whether SQLite refused a write to a database it opened read-only (`SQLITE_READONLY`;
/// by its text when a failed batch's copy kept only that).
fn read_only(source: &(dyn std::error::Error + Send + Sync + 'static)) -> bool {
    match source.downcast_ref::<rusqlite::Error>() {
        Some(e) => e.sqlite_error_code() == Some(rusqlite::ErrorCode::ReadOnly),
        None => source
            .to_string()
            .contains("attempt to write a readonly database"),
    }
}

/// How the store's open errors name the database: its path, or, for the empty path
/// (where SQLite makes a temporary database), that.
fn location(path: &Path) -> String {
    if path.as_os_str().is_empty() {
        "a temporary database (the empty path)".to_owned()
    } else {
        path.display().to_string()
    }
}

/// `e`, an error opening or migrating the database at `path`, naming it: a schema
/// error's location, or beside a database error that does not already say it (SQLite
/// names the file only when it cannot open it).
fn at_location(path: &Path, e: StoreError) -> StoreError {
    let location = location(path);
    match e {
        StoreError::Schema { reason, .. } => StoreError::Schema { location, reason },
        StoreError::Unavailable {
            operation,
            run,
            node,
            source,
        } => StoreError::Unavailable {
            operation,
            run,
            node,
            source: AtLocation::wrap(location, source, missing_directory(path)),
        },
        StoreError::Backend {
            operation,
            run,
            node,
            source,
        } => StoreError::Backend {
            operation,
            run,
            node,
            source: AtLocation::wrap(location, source, missing_directory(path)),
        },
        other => other,
    }
}

/// A database error with the database it is about: `<error> (database <location>)`.
#[derive(Debug)]
struct AtLocation {
    location: String,
    source: BoxError,
    /// Why SQLite could not open it, when that can be told: its directory is missing.
    why: Option<String>,
}

impl AtLocation {
    /// `source` naming `location` (from [`location`], never empty), unless it already
    /// does, and saying `why` if known.
    fn wrap(location: String, source: BoxError, why: Option<String>) -> BoxError {
        if why.is_none() && source.to_string().contains(&location) {
            return source;
        }
        Box::new(AtLocation {
            location,
            source,
            why,
        })
    }
}

impl std::fmt::Display for AtLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.why {
            // SQLite named the path already ("unable to open database file: <path>").
            Some(why) if self.source.to_string().contains(&self.location) => {
                write!(f, "{} ({why})", self.source)
            }
            Some(why) => write!(f, "{} (database `{}`: {why})", self.source, self.location),
            None => write!(f, "{} (database `{}`)", self.source, self.location),
        }
    }
}

/// "its directory `..` does not exist" when `path`'s parent directory is missing:
/// SQLite says only "unable to open database file", which reads like a store that is
/// down for a while (`StoreError::Unavailable`), not a path to fix.
fn missing_directory(path: &Path) -> Option<String> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty())?;
    (!dir.exists()).then(|| format!("its directory `{}` does not exist", dir.display()))
}

/// `{}` includes the database's message, so `source()` continues below it (as
/// [`StoreError`]'s does): a chain names it once.
impl std::error::Error for AtLocation {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.source()
    }
}

/// Opens the database at `path` and migrates it; its errors are named by the caller
/// ([`at_location`]).
fn open_connection(
    path: &Path,
    durability: Durability,
    busy_timeout: Duration,
) -> Result<Connection, StoreError> {
    let mut conn = Connection::open(path)
        .map_err(|e| StoreError::unavailable("opening the SQLite database", e))?;
    // rusqlite panics ("too big") on a timeout of more than `i32::MAX` milliseconds;
    // that is SQLite's longest wait.
    let longest = Duration::from_millis(i32::MAX.unsigned_abs().into());
    conn.busy_timeout(busy_timeout.min(longest))
        .map_err(|e| sql_error("opening the SQLite database", e))?;
    // The first statement that reads the file is where SQLite notices it is not a database.
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(|e| sql_error("opening the SQLite database", e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Schema {
            location: String::new(),
            reason: format!("cannot switch the journal to WAL (it is `{mode}`)"),
        });
    }
    let synchronous = match durability {
        Durability::SurvivesKilledProcess => "NORMAL",
        Durability::SurvivesPowerLoss => "FULL",
    };
    conn.execute_batch(&format!("PRAGMA synchronous = {synchronous}"))
        .map_err(|e| sql_error("opening the SQLite database", e))?;
    migrate(&mut conn)?;
    Ok(conn)
}

/// Brings the schema to the newest version, refusing files that are not workflow stores.
fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let op = "migrating the SQLite schema";
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| sql_error(op, e))?;
    let tables: Vec<String> = tx
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .and_then(|mut stmt| {
            stmt.query_map([], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()
        })
        .map_err(|e| sql_error(op, e))?;
    if !tables.iter().any(|t| t == "workflow_store_meta") {
        if !tables.is_empty() {
            return Err(StoreError::Schema {
                location: String::new(),
                reason: format!(
                    "a foreign database: it holds tables ({}) but no workflow store; \
                     give the store its own file",
                    tables.join(", ")
                ),
            });
        }
        tx.execute_batch(&format!(
            "CREATE TABLE workflow_store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             INSERT INTO workflow_store_meta VALUES ('schema_version', '0');
             INSERT INTO workflow_store_meta VALUES ('encoding', '{ENCODING}');"
        ))
        .map_err(|e| sql_error(op, e))?;
    }
    let meta = |key: &str| -> Result<Option<String>, StoreError> {
        tx.query_row(
            "SELECT value FROM workflow_store_meta WHERE key = ?1",
            params![key],
            |r| r.get(0),
        )
        .optional()
        .map_err(|e| sql_error(op, e))
    };
    let found = meta("schema_version")?;
    let version = found
        .as_deref()
        .and_then(|v| v.parse::<u32>().ok())
        .ok_or_else(|| StoreError::Schema {
            location: String::new(),
            reason: format!("unreadable schema version {found:?}"),
        })?;
    check_version(version, meta("encoding")?.as_deref())?;
    for (to, sql) in MIGRATIONS.iter().filter(|(to, _)| *to > version) {
        tx.execute_batch(sql).map_err(|e| sql_error(op, e))?;
        tx.execute(
            "UPDATE workflow_store_meta SET value = ?1 WHERE key = 'schema_version'",
            params![to.to_string()],
        )
        .map_err(|e| sql_error(op, e))?;
    }
    tx.commit().map_err(|e| sql_error(op, e))
}

impl Store for SqliteStore {
    fn create_run(&self, new: NewRun) -> BoxFuture<'_, Result<CreatedRun, StoreError>> {
        self.call("creating a run", move |w| w.create_run(new))
    }

    fn claim_run<'a>(
        &'a self,
        run: RunId,
        owner: &'a OwnerId,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claimed, StoreError>> {
        let owner = owner.clone();
        let claim = self.call("claiming a run", move |w| w.claim_run(run, owner, lease));
        about_run(claim, run, None)
    }

    fn retry_run<'a>(
        &'a self,
        run: RunId,
        workflow: &'a str,
        owner: &'a OwnerId,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claimed, StoreError>> {
        let (workflow, owner) = (workflow.to_owned(), owner.clone());
        let retry = self.call("retrying a run", move |w| {
            w.retry_run(run, workflow, owner, lease)
        });
        about_run(retry, run, None)
    }

    fn claim_expired<'a>(
        &'a self,
        owner: &'a OwnerId,
        lease: Duration,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<Claimed>, StoreError>> {
        let owner = owner.clone();
        self.call("claiming expired runs", move |w| {
            w.claim_expired(owner, lease, limit)
        })
    }

    fn renew_lease<'a>(
        &'a self,
        lease: &'a Lease,
        duration: Duration,
    ) -> BoxFuture<'a, Result<Lease, StoreError>> {
        let run = lease.run;
        let lease = lease.clone();
        let renew = self.call("renewing a lease", move |w| w.renew_lease(lease, duration));
        about_run(renew, run, None)
    }

    fn record_all<'a>(
        &'a self,
        lease: &'a Lease,
        records: Vec<Record>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let (run, node) = (lease.run, first_path(&records));
        let lease = lease.clone();
        let (queue, location) = (self.queue.clone(), Arc::clone(&self.location));
        let record = Box::pin(async move {
            let (reply, answer) = oneshot::channel();
            let op = Op::Record {
                lease,
                records,
                reply,
            };
            send(queue, op, "recording a node output")?;
            let answer = answer
                .await
                .map_err(|_| writer_gone("recording a node output"))?;
            answer.map_err(|e| on_file(&location, e))
        });
        about_run(record, run, node)
    }

    fn rebase_run<'a>(
        &'a self,
        lease: &'a Lease,
        fingerprint: GraphFingerprint,
        forget: Vec<NodePath>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let run = lease.run;
        let lease = lease.clone();
        let rebase = self.call("rebasing a run", move |w| {
            w.rebase_run(lease, fingerprint, forget)
        });
        about_run(rebase, run, None)
    }

    fn finish_run<'a>(
        &'a self,
        lease: &'a Lease,
        outcome: RunOutcome,
        retention: Retention,
    ) -> BoxFuture<'a, Result<RunRecord, StoreError>> {
        let run = lease.run;
        let lease = lease.clone();
        let finish = self.call("finishing a run", move |w| {
            w.finish_run(lease, outcome, retention)
        });
        about_run(finish, run, None)
    }

    fn get_run(&self, run: RunId) -> BoxFuture<'_, Result<RunRecord, StoreError>> {
        about_run(
            self.call("reading a run", move |w| get_run(&w.conn, run)),
            run,
            None,
        )
    }

    fn load_run(&self, run: RunId) -> BoxFuture<'_, Result<RunState, StoreError>> {
        about_run(
            self.call("loading a run", move |w| w.load_run(run)),
            run,
            None,
        )
    }

    fn list_runs(&self, filter: RunFilter) -> BoxFuture<'_, Result<Vec<RunRecord>, StoreError>> {
        self.call("listing runs", move |w| w.list_runs(filter))
    }

    fn purge(&self, filter: PurgeFilter) -> BoxFuture<'_, Result<u64, StoreError>> {
        self.call("purging runs", move |w| w.purge(filter))
    }

    fn stats(&self) -> StoreStats {
        self.counters.stats()
    }

    fn clock(&self) -> &dyn Clock {
        &*self.clock
    }
}
