//! The rules every store applies alike: who may claim a run, who may write to it, what a
//! finished row looks like.

use std::sync::atomic::{AtomicU64, Ordering};

use futures::future::BoxFuture;
use tokio::sync::oneshot;

use super::{
    Claimed, FailedAttempt, Lease, NewRun, NodePath, OwnerId, PurgeFilter, Record, RunId,
    RunOutcome, RunRecord, RunStatus, StoreError, StoreStats, Timestamp, ENCODING,
};

/// The newest schema this build writes and reads (both databases share the numbering).
#[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]
pub(crate) const SCHEMA_VERSION: u32 = 2;

/// A count of rows as SQL's `LIMIT` takes it: `None` for no limit, which is `0` and any
/// count past `i64::MAX` (`usize::MAX`); cast with `as`, those were negative, which
/// Postgres refuses (SQLite read -1 as no limit only by accident).
#[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]
pub(crate) fn sql_limit(limit: usize) -> Option<i64> {
    i64::try_from(limit).ok().filter(|&n| n > 0)
}

/// May `owner` claim `run` at `now`? Yes when it is unfinished and its lease is expired,
/// absent, or already `owner`'s.
pub(crate) fn check_claim(
    row: &RunRecord,
    owner: &OwnerId,
    now: Timestamp,
) -> Result<(), StoreError> {
    let (run, status) = (row.id, row.status);
    if status.is_finished() {
        return Err(StoreError::Finished { run, status });
    }
    match (row.owner.as_ref(), row.lease_expires_at) {
        (Some(holder), Some(expires_at)) if holder != owner && expires_at > now => {
            Err(StoreError::LeaseHeld {
                run,
                owner: holder.clone(),
                expires_at,
            })
        }
        _ => Ok(()),
    }
}

/// May `row` be retried as a run of `workflow`? Yes when it is that workflow's and failed.
pub(crate) fn check_retry(row: &RunRecord, workflow: &str) -> Result<(), StoreError> {
    if row.workflow != workflow {
        return Err(StoreError::WrongWorkflow {
            run: row.id,
            workflow: row.workflow.clone(),
            expected: workflow.to_owned(),
        });
    }
    match row.status {
        RunStatus::Failed => Ok(()),
        status => Err(StoreError::NotFailed {
            run: row.id,
            status,
        }),
    }
}

/// The attempt a failed `row` ends as it is retried (`attempt`: its number, 1 for the
/// first failure), and the row running again under `owner`'s lease until `expires_at`:
/// one more claim, no outcome, the same id, input, key and creation time.
pub(crate) fn retried_row(
    mut row: RunRecord,
    attempt: u32,
    owner: &OwnerId,
    expires_at: Timestamp,
) -> (FailedAttempt, RunRecord) {
    let failed = FailedAttempt {
        attempt,
        error: row.error.take().unwrap_or_default(),
        failed_at: row.finished_at.take().unwrap_or(row.created_at),
    };
    row.status = RunStatus::Running;
    row.owner = Some(owner.clone());
    row.lease_expires_at = Some(expires_at);
    row.claims = row.claims.saturating_add(1);
    row.output = None;
    (failed, row)
}

/// May the holder of `lease` still write? Yes while the run is unfinished and still its
/// own, even past the expiry, as long as nobody else claimed it. `row` is the run's status
/// and owner, `None` when the run is gone.
pub(crate) fn check_lease(
    lease: &Lease,
    row: Option<(RunStatus, Option<&OwnerId>)>,
) -> Result<(), StoreError> {
    let reason = match row {
        None => "the run no longer exists".to_owned(),
        Some((status, _)) if status.is_finished() => format!("the run already {status}"),
        Some((_, Some(owner))) if *owner == lease.owner => return Ok(()),
        Some((_, Some(owner))) => format!("its lease expired and `{owner}` claimed the run"),
        Some((_, None)) => "the run has no owner".to_owned(),
    };
    Err(StoreError::LeaseLost {
        run: lease.run,
        owner: lease.owner.clone(),
        reason,
    })
}

/// A second create with `key` must be for the same workflow and input.
pub(crate) fn check_same_run(
    key: &str,
    existing: &RunRecord,
    new: &NewRun,
) -> Result<(), StoreError> {
    let what = if existing.workflow != new.workflow {
        "another workflow"
    } else if existing.input != new.input {
        "another input"
    } else {
        return Ok(());
    };
    Err(StoreError::IdempotencyConflict {
        key: key.to_owned(),
        run: existing.id,
        workflow: existing.workflow.clone(),
        what,
    })
}

/// The row of a run just created (claim 1, leased to its creator).
pub(crate) fn new_row(id: RunId, new: &NewRun, now: Timestamp) -> RunRecord {
    RunRecord {
        id,
        workflow: new.workflow.clone(),
        fingerprint: new.fingerprint.clone(),
        input: new.input.clone(),
        idempotency_key: new.idempotency_key.clone(),
        status: RunStatus::Running,
        owner: Some(new.owner.clone()),
        lease_expires_at: Some(now.plus(new.lease)),
        claims: 1,
        created_at: now,
        finished_at: None,
        output: None,
        error: None,
    }
}

/// `row` once finished with `outcome` at `now`.
pub(crate) fn finished_row(mut row: RunRecord, outcome: RunOutcome, now: Timestamp) -> RunRecord {
    let (status, output, error) = split_outcome(outcome);
    row.status = status;
    row.output = output;
    row.error = error;
    row.owner = None;
    row.lease_expires_at = None;
    row.finished_at = Some(now);
    row
}

/// The columns an outcome sets: status, output, error.
pub(crate) fn split_outcome(outcome: RunOutcome) -> (RunStatus, Option<Vec<u8>>, Option<String>) {
    match outcome {
        RunOutcome::Succeeded { output } => (RunStatus::Succeeded, output, None),
        RunOutcome::Failed { error } => (RunStatus::Failed, None, Some(error)),
    }
}

/// Does `filter` select a run with this status and finish time?
pub(crate) fn purgeable(
    status: RunStatus,
    finished_at: Option<Timestamp>,
    filter: &PurgeFilter,
) -> bool {
    status.is_finished()
        && filter.status.is_none_or(|s| s == status)
        && finished_at.is_some_and(|t| t < filter.finished_before)
}

/// Refuses a schema newer than this build or another value encoding.
#[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]
pub(crate) fn check_version(version: u32, encoding: Option<&str>) -> Result<(), StoreError> {
    if version > SCHEMA_VERSION {
        return Err(StoreError::Schema {
            location: String::new(),
            reason: format!(
                "written by a newer version (schema {version}; this build reads up to \
                 {SCHEMA_VERSION})"
            ),
        });
    }
    if encoding != Some(ENCODING) {
        return Err(StoreError::Schema {
            location: String::new(),
            reason: format!("values are encoded as {encoding:?}; this build reads `{ENCODING}`"),
        });
    }
    Ok(())
}

/// `operation` with its database errors naming `run` (and `node`).
#[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]
pub(crate) fn about_run<'a, T: 'a>(
    operation: BoxFuture<'a, Result<T, StoreError>>,
    run: RunId,
    node: Option<NodePath>,
) -> BoxFuture<'a, Result<T, StoreError>> {
    Box::pin(async move { operation.await.map_err(|e| e.about(run, node.as_ref())) })
}

/// The node a `record_all` is named by in errors: its first output's (or branch's) path.
#[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]
pub(crate) fn first_path(records: &[super::Record]) -> Option<NodePath> {
    records.first().map(|r| match r {
        super::Record::Output(out) => out.path.clone(),
        super::Record::Branch(choice) => choice.path.clone(),
    })
}

/// Records waiting for a database writer: the lease they are written under, the rows that
/// commit together, and where to send the verdict.
#[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]
pub(crate) type PendingRecord = (Lease, Vec<Record>, oneshot::Sender<Result<(), StoreError>>);

/// A database store's commit and record counters.
#[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]
#[derive(Debug, Default)]
pub(crate) struct Counters {
    commits: AtomicU64,
    records: AtomicU64,
}

#[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]
impl Counters {
    /// One transaction committed.
    pub(crate) fn committed(&self) {
        self.commits.fetch_add(1, Ordering::Relaxed);
    }

    /// `n` records committed (in a transaction counted apart).
    pub(crate) fn recorded(&self, n: usize) {
        self.records.fetch_add(n as u64, Ordering::Relaxed);
    }

    pub(crate) fn stats(&self) -> StoreStats {
        StoreStats {
            commits: self.commits.load(Ordering::Relaxed),
            records: self.records.load(Ordering::Relaxed),
        }
    }

    /// Answers every caller of a writer's batch: with its own verdict when the transaction
    /// committed (`outcome` is `Ok`; `results` holds one verdict per pending record), with
    /// the transaction's error otherwise.
    pub(crate) fn answer(
        &self,
        batch: Vec<PendingRecord>,
        outcome: Result<(), StoreError>,
        results: Vec<Result<(), StoreError>>,
    ) {
        if outcome.is_ok() {
            self.committed();
            let written: usize = batch
                .iter()
                .zip(&results)
                .filter(|(_, result)| result.is_ok())
                .map(|((_, rows, _), _)| rows.len())
                .sum();
            self.recorded(written);
        }
        reply_records(batch, outcome, results);
    }
}

/// Answers every caller of a batch of records: with its own verdict when the records'
/// transaction committed (`outcome` is `Ok`), with the transaction's error otherwise.
#[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]
pub(crate) fn reply_records(
    batch: Vec<PendingRecord>,
    outcome: Result<(), StoreError>,
    results: Vec<Result<(), StoreError>>,
) {
    match outcome {
        Ok(()) => {
            for ((_, _, reply), result) in batch.into_iter().zip(results) {
                // The caller may have stopped waiting; the rows are written either way.
                let _ = reply.send(result);
            }
        }
        Err(e) => {
            for (_, _, reply) in batch {
                let _ = reply.send(Err(e.for_batch()));
            }
        }
    }
}

/// The claims for `runs`, just leased to `owner`, by id.
#[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]
pub(crate) fn claims(
    runs: impl IntoIterator<Item = Result<RunRecord, StoreError>>,
    owner: &OwnerId,
) -> Result<Vec<Claimed>, StoreError> {
    let mut claimed = runs
        .into_iter()
        .map(|run| {
            let run = run?;
            Ok(Claimed {
                lease: Lease {
                    run: run.id,
                    owner: owner.clone(),
                    expires_at: run.lease_expires_at.unwrap_or(Timestamp(0)),
                },
                run,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    // `UPDATE … RETURNING` yields rows in no promised order.
    claimed.sort_by_key(|c| c.run.id);
    Ok(claimed)
}

/// Reads a `status` column.
#[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]
pub(crate) fn parse_status(run: RunId, text: &str) -> Result<RunStatus, StoreError> {
    RunStatus::parse(text).ok_or_else(|| StoreError::CorruptRow {
        run,
        reason: format!("unknown status `{text}`"),
    })
}

/// Reads a `path` column.
#[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]
pub(crate) fn parse_path(run: RunId, text: &str) -> Result<NodePath, StoreError> {
    text.parse().map_err(|e| StoreError::CorruptRow {
        run,
        reason: format!("{e}"),
    })
}

/// Reads a `node_version` column.
#[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]
pub(crate) fn parse_version(run: RunId, path: &str, version: i64) -> Result<u32, StoreError> {
    u32::try_from(version).map_err(|_| StoreError::CorruptRow {
        run,
        reason: format!("node `{path}` has version {version}"),
    })
}
