//! The in-memory store: for tests, and for runs that need leases and idempotency within
//! one process but not across a crash.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::BoxFuture;

use super::common::{check_claim, check_lease, check_retry, finished_row, new_row, retried_row};
use super::{
    BranchChoice, Claimed, Clock, CreatedRun, FailedAttempt, GraphFingerprint, Lease, NewRun,
    NodePath, OwnerId, PurgeFilter, Record, RecordedOutput, Retention, RunFilter, RunId,
    RunOutcome, RunRecord, RunState, RunStatus, Store, StoreError, StoreStats, SystemClock,
};

/// A store in memory: nothing survives the process, everything else behaves as the
/// database stores do (leases, idempotency keys, retention, group commit).
///
/// Records made in the same scheduling round are applied together as one "commit", the
/// way the database stores batch them, so [`StoreStats::commits`] behaves alike.
///
/// ```
/// use std::sync::Arc;
/// use workflow_core::store::{MemoryStore, Store};
///
/// let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
/// # let _ = store;
/// ```
#[derive(Debug)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
    clock: Arc<dyn Clock>,
}

#[derive(Debug, Default)]
struct Inner {
    next_id: i64,
    runs: BTreeMap<RunId, RunRecord>,
    outputs: BTreeMap<RunId, BTreeMap<NodePath, RecordedOutput>>,
    branches: BTreeMap<RunId, BTreeMap<NodePath, BranchChoice>>,
    /// Earlier failures of retried runs, oldest first.
    attempts: BTreeMap<RunId, Vec<FailedAttempt>>,
    keys: HashMap<String, RunId>,
    /// Records waiting for the next commit, with their tickets.
    pending: Vec<(u64, Lease, Vec<Record>)>,
    next_ticket: u64,
    /// Tickets below this are applied.
    applied_below: u64,
    /// Tickets whose record was refused, with why.
    refused: HashMap<u64, StoreError>,
    stats: StoreStats,
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::new()
    }
}

impl MemoryStore {
    /// An empty store on the system clock.
    pub fn new() -> MemoryStore {
        MemoryStore::with_clock(Arc::new(SystemClock))
    }

    /// An empty store reading time from `clock` (e.g. a [`ManualClock`](super::ManualClock)).
    pub fn with_clock(clock: Arc<dyn Clock>) -> MemoryStore {
        MemoryStore {
            inner: Mutex::new(Inner {
                next_id: 1,
                ..Inner::default()
            }),
            clock,
        }
    }

    /// The state, with pending records applied first so every operation sees them.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave `Inner` half-updated in a way later
        // calls misread (each operation validates before it mutates), so poisoning is ignored.
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if !inner.pending.is_empty() {
            inner.commit_pending();
        }
        inner
    }
}

impl Inner {
    fn commit_pending(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        for (ticket, lease, records) in pending {
            let row = self.runs.get(&lease.run);
            match check_lease(&lease, row.map(|r| (r.status, r.owner.as_ref()))) {
                Ok(()) => {
                    self.stats.records += records.len() as u64;
                    for record in records {
                        match record {
                            Record::Output(out) => {
                                let rows = self.outputs.entry(lease.run).or_default();
                                rows.insert(out.path.clone(), out);
                            }
                            Record::Branch(choice) => {
                                let rows = self.branches.entry(lease.run).or_default();
                                rows.insert(choice.path.clone(), choice);
                            }
                        }
                    }
                }
                Err(e) => {
                    self.refused.insert(ticket, e);
                }
            }
            self.applied_below = ticket + 1;
        }
        self.stats.commits += 1;
    }

    fn get(&self, run: RunId) -> Result<&RunRecord, StoreError> {
        self.runs.get(&run).ok_or(StoreError::NotFound { run })
    }

    fn claim(
        &mut self,
        run: RunId,
        owner: &OwnerId,
        lease: Duration,
        now: super::Timestamp,
    ) -> Claimed {
        let row = self.runs.get_mut(&run).expect("claim of a checked run");
        row.owner = Some(owner.clone());
        row.lease_expires_at = Some(now.plus(lease));
        row.claims += 1;
        Claimed {
            lease: Lease {
                run,
                owner: owner.clone(),
                expires_at: now.plus(lease),
            },
            run: row.clone(),
        }
    }

    fn delete_rows(&mut self, run: RunId) {
        self.outputs.remove(&run);
        self.branches.remove(&run);
    }
}

/// Returns `Pending` once (after waking itself): lets every other ready task add its
/// record before the first one commits the lot.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

impl Store for MemoryStore {
    fn create_run(&self, new: NewRun) -> BoxFuture<'_, Result<CreatedRun, StoreError>> {
        Box::pin(async move {
            let now = self.clock.now();
            let mut inner = self.lock();
            if let Some(key) = &new.idempotency_key {
                if let Some(&id) = inner.keys.get(key) {
                    let existing = inner.get(id)?.clone();
                    super::common::check_same_run(key, &existing, &new)?;
                    return Ok(CreatedRun::Existing(existing));
                }
            }
            let id = RunId(inner.next_id);
            inner.next_id += 1;
            let row = new_row(id, &new, now);
            if let Some(key) = &new.idempotency_key {
                inner.keys.insert(key.clone(), id);
            }
            inner.runs.insert(id, row.clone());
            inner.stats.commits += 1;
            Ok(CreatedRun::New(Claimed {
                lease: Lease {
                    run: id,
                    owner: new.owner,
                    expires_at: now.plus(new.lease),
                },
                run: row,
            }))
        })
    }

    fn claim_run<'a>(
        &'a self,
        run: RunId,
        owner: &'a OwnerId,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claimed, StoreError>> {
        Box::pin(async move {
            let now = self.clock.now();
            let mut inner = self.lock();
            let row = inner.get(run)?;
            check_claim(row, owner, now)?;
            inner.stats.commits += 1;
            Ok(inner.claim(run, owner, lease, now))
        })
    }

    fn retry_run<'a>(
        &'a self,
        run: RunId,
        workflow: &'a str,
        owner: &'a OwnerId,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claimed, StoreError>> {
        Box::pin(async move {
            let now = self.clock.now();
            let mut inner = self.lock();
            let row = inner.get(run)?;
            check_retry(row, workflow)?;
            let attempt = inner.attempts.get(&run).map_or(0, Vec::len) as u32 + 1;
            let expires_at = now.plus(lease);
            let (failed, row) = retried_row(row.clone(), attempt, owner, expires_at);
            inner.attempts.entry(run).or_default().push(failed);
            inner.runs.insert(run, row.clone());
            inner.stats.commits += 1;
            Ok(Claimed {
                lease: Lease {
                    run,
                    owner: owner.clone(),
                    expires_at,
                },
                run: row,
            })
        })
    }

    fn claim_expired<'a>(
        &'a self,
        owner: &'a OwnerId,
        lease: Duration,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<Claimed>, StoreError>> {
        Box::pin(async move {
            let now = self.clock.now();
            let mut inner = self.lock();
            let expired: Vec<RunId> = inner
                .runs
                .values()
                .filter(|r| r.status == RunStatus::Running)
                .filter(|r| r.lease_expires_at.is_none_or(|t| t <= now))
                .map(|r| r.id)
                .take(if limit == 0 { usize::MAX } else { limit })
                .collect();
            inner.stats.commits += 1;
            Ok(expired
                .into_iter()
                .map(|id| inner.claim(id, owner, lease, now))
                .collect())
        })
    }

    fn renew_lease<'a>(
        &'a self,
        lease: &'a Lease,
        duration: Duration,
    ) -> BoxFuture<'a, Result<Lease, StoreError>> {
        Box::pin(async move {
            let now = self.clock.now();
            let mut inner = self.lock();
            let row = inner.runs.get_mut(&lease.run);
            check_lease(lease, row.as_ref().map(|r| (r.status, r.owner.as_ref())))?;
            let row = row.expect("checked above");
            row.lease_expires_at = Some(now.plus(duration));
            inner.stats.commits += 1;
            Ok(Lease {
                expires_at: now.plus(duration),
                ..lease.clone()
            })
        })
    }

    fn record_all<'a>(
        &'a self,
        lease: &'a Lease,
        records: Vec<Record>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let ticket = {
                let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
                let ticket = inner.next_ticket;
                inner.next_ticket += 1;
                inner.pending.push((ticket, lease.clone(), records));
                ticket
            };
            YieldOnce(false).await;
            // `lock` commits whatever is pending, this ticket included, unless an earlier
            // caller's commit already took it.
            let mut inner = self.lock();
            debug_assert!(inner.applied_below > ticket);
            match inner.refused.remove(&ticket) {
                Some(e) => Err(e),
                None => Ok(()),
            }
        })
    }

    fn rebase_run<'a>(
        &'a self,
        lease: &'a Lease,
        fingerprint: GraphFingerprint,
        forget: Vec<NodePath>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let mut inner = self.lock();
            let row = inner.runs.get_mut(&lease.run);
            check_lease(lease, row.as_ref().map(|r| (r.status, r.owner.as_ref())))?;
            if let Some(row) = row {
                row.fingerprint = fingerprint;
            }
            if let Some(rows) = inner.outputs.get_mut(&lease.run) {
                for path in &forget {
                    rows.remove(path);
                }
            }
            Ok(())
        })
    }

    fn finish_run<'a>(
        &'a self,
        lease: &'a Lease,
        outcome: RunOutcome,
        retention: Retention,
    ) -> BoxFuture<'a, Result<RunRecord, StoreError>> {
        Box::pin(async move {
            let now = self.clock.now();
            let mut inner = self.lock();
            let row = inner.runs.get(&lease.run);
            check_lease(lease, row.map(|r| (r.status, r.owner.as_ref())))?;
            let row = finished_row(row.expect("checked above").clone(), outcome, now);
            if row.status == RunStatus::Succeeded && retention == Retention::DeleteOnSuccess {
                inner.delete_rows(lease.run);
            }
            inner.runs.insert(lease.run, row.clone());
            inner.stats.commits += 1;
            Ok(row)
        })
    }

    fn get_run(&self, run: RunId) -> BoxFuture<'_, Result<RunRecord, StoreError>> {
        Box::pin(async move { self.lock().get(run).cloned() })
    }

    fn load_run(&self, run: RunId) -> BoxFuture<'_, Result<RunState, StoreError>> {
        Box::pin(async move {
            let inner = self.lock();
            Ok(RunState {
                run: inner.get(run)?.clone(),
                outputs: inner
                    .outputs
                    .get(&run)
                    .map(|rows| rows.values().cloned().collect())
                    .unwrap_or_default(),
                branches: inner
                    .branches
                    .get(&run)
                    .map(|rows| rows.values().cloned().collect())
                    .unwrap_or_default(),
                attempts: inner.attempts.get(&run).cloned().unwrap_or_default(),
            })
        })
    }

    fn list_runs(&self, filter: RunFilter) -> BoxFuture<'_, Result<Vec<RunRecord>, StoreError>> {
        Box::pin(async move {
            let inner = self.lock();
            Ok(inner
                .runs
                .values()
                .rev()
                .filter(|r| filter.status.is_none_or(|s| r.status == s))
                .filter(|r| filter.workflow.as_ref().is_none_or(|w| &r.workflow == w))
                .filter(|r| filter.before.is_none_or(|b| r.id < b))
                .take(if filter.limit == 0 {
                    usize::MAX
                } else {
                    filter.limit
                })
                .cloned()
                .collect())
        })
    }

    fn purge(&self, filter: PurgeFilter) -> BoxFuture<'_, Result<u64, StoreError>> {
        Box::pin(async move {
            let mut inner = self.lock();
            let doomed: Vec<RunRecord> = inner
                .runs
                .values()
                .filter(|r| super::common::purgeable(r.status, r.finished_at, &filter))
                .cloned()
                .collect();
            for row in &doomed {
                inner.runs.remove(&row.id);
                inner.delete_rows(row.id);
                inner.attempts.remove(&row.id);
                if let Some(key) = &row.idempotency_key {
                    inner.keys.remove(key);
                }
            }
            inner.stats.commits += 1;
            Ok(doomed.len() as u64)
        })
    }

    fn stats(&self) -> StoreStats {
        self.lock().stats
    }

    fn clock(&self) -> &dyn Clock {
        &*self.clock
    }
}
