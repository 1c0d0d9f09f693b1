//! What a runtime keeps for its durable runs: the store and lease settings, the drives
//! under way (one per run at a time), and what the end hook of a durable run sees.

use super::*;

/// A durable run that ended, as [`RuntimeBuilder::on_durable_run_end`] sees it.
#[derive(Debug)]
#[non_exhaustive]
pub struct DurableRunEnd<'a> {
    /// The run's id in the store.
    pub run_id: crate::store::RunId,
    /// What happened to each node in this execution (restored ones included).
    pub report: &'a crate::run::RunReport,
    /// The execution trace, when tracing was on.
    pub trace: Option<&'a crate::trace::ExecutionTrace>,
    /// Why the run failed, if it did.
    pub error: Option<&'a crate::error::WorkflowError>,
    /// The workflow's static plan, for `workflow-test`'s harness
    /// ([`DurableRunEnd::plan`]).
    pub(crate) plan: PlanOf,
}

impl DurableRunEnd<'_> {
    /// The workflow's static plan (its nodes, and those of its fan-out bodies and
    /// sub-workflows): `workflow-test`'s harness knows a durable run's node names from
    /// it, as it does an `execute`d run's. Not a stable API.
    #[doc(hidden)]
    pub fn plan(&self) -> &'static crate::plan::Plan {
        self.plan.0
    }
}

/// A workflow's plan in a [`DurableRunEnd`], debugged as its name.
#[derive(Clone, Copy)]
pub(crate) struct PlanOf(pub(crate) &'static crate::plan::Plan);

impl std::fmt::Debug for PlanOf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.name)
    }
}

/// The hook of [`RuntimeBuilder::on_durable_run_end`].
#[derive(Clone)]
pub(crate) struct OnDurableEnd(pub(crate) Arc<dyn Fn(&DurableRunEnd<'_>) + Send + Sync>);

impl fmt::Debug for OnDurableEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OnDurableEnd(..)")
    }
}

/// The store and lease settings of a runtime.
#[derive(Debug, Clone)]
pub(crate) struct DurableConfig {
    pub(crate) store: Arc<dyn crate::store::Store>,
    pub(crate) owner: crate::store::OwnerId,
    pub(crate) lease: Duration,
    pub(crate) retention: crate::store::Retention,
    pub(crate) on_end: Option<OnDurableEnd>,
    /// How long a durable call waits for each answer of its store (`None`: for ever;
    /// see `durable/answer.rs`).
    pub(crate) store_timeout: Option<Duration>,
    /// The durable runs this runtime drives now (see `Drives`).
    pub(crate) drives: Arc<Drives>,
}

/// The durable runs one runtime drives now, each behind an async lock of its own.
///
/// The store lets a runtime claim a run whose lease it holds itself (a run whose future
/// was dropped resumes at once), so it cannot tell that run from one this runtime is
/// still driving: a second start with the same idempotency key, or a resume, while the
/// first drive goes on would run its nodes twice. Every drive holds its run here; a second
/// one waits for it to end, then reads what it left (outputs, a failure, or a run still
/// unfinished that it may resume).
///
/// A drive's recorder (the task committing its node records) may outlive the drive: when
/// the run's future is dropped (cut by `tokio::time::timeout`), the recorder still commits
/// what the run had queued. It holds the run's *recording* lock until then, and a new drive
/// waits for it after taking the drive lock, so a resume at once loads those records
/// rather than running their nodes again.
#[derive(Debug, Default)]
pub(crate) struct Drives {
    drives: RunLocks,
    recording: RunLocks,
}

/// An async lock per run, forgotten when nobody holds or waits for it.
#[derive(Debug, Default)]
struct RunLocks(
    std::sync::Mutex<std::collections::HashMap<crate::store::RunId, Arc<tokio::sync::Mutex<()>>>>,
);

impl RunLocks {
    fn map(
        &self,
    ) -> std::sync::MutexGuard<
        '_,
        std::collections::HashMap<crate::store::RunId, Arc<tokio::sync::Mutex<()>>>,
    > {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `run`'s lock (a waiter holds a clone of the `Arc`, taken under the map's lock).
    fn lock_of(&self, run: crate::store::RunId) -> Arc<tokio::sync::Mutex<()>> {
        Arc::clone(self.map().entry(run).or_default())
    }

    /// Releases `guard` (if any) and forgets `run`'s lock when nobody else holds or waits
    /// for it.
    fn release(
        &self,
        run: crate::store::RunId,
        guard: Option<tokio::sync::OwnedMutexGuard<()>>,
        lock: Option<Arc<tokio::sync::Mutex<()>>>,
    ) {
        let mut map = self.map();
        drop(guard);
        drop(lock);
        if map
            .get(&run)
            .is_some_and(|lock| Arc::strong_count(lock) == 1)
        {
            map.remove(&run);
        }
    }
}

/// A recorder's hold on its run (see [`Drives`]): a new drive of the run waits until it is
/// dropped, when the recorder has committed what the run queued.
#[derive(Debug)]
pub(crate) struct Recording {
    drives: Arc<Drives>,
    run: crate::store::RunId,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

/// This runtime's drive of one run (see [`Drives`]); others wait until it is dropped.
#[derive(Debug)]
pub(crate) struct Driving<'a> {
    drives: &'a Drives,
    run: crate::store::RunId,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Drives {
    /// Takes `run` for a drive, after any drive of it by this runtime ended; and whether
    /// it had to wait for a drive. Then [`recorded`](Self::recorded) waits for that
    /// drive's recorder.
    pub(crate) async fn take(&self, run: crate::store::RunId) -> (Driving<'_>, bool) {
        let lock = self.drives.lock_of(run);
        let mut driving = Driving {
            drives: self,
            run,
            guard: None,
        };
        let waited = match Arc::clone(&lock).try_lock_owned() {
            Ok(guard) => {
                driving.guard = Some(guard);
                false
            }
            Err(_) => {
                driving.guard = Some(lock.lock_owned().await);
                true
            }
        };
        (driving, waited)
    }

    /// Waits until no recorder of an earlier drive of `run` (one whose future was
    /// dropped, or cut by the run's timeout) is committing: what it commits is what the
    /// drive that took the run restores.
    pub(crate) async fn recorded(&self, run: crate::store::RunId) {
        // Forgotten when this future ends, or is dropped while it waits.
        let waiting = Waiting {
            locks: &self.recording,
            run,
            lock: Some(self.recording.lock_of(run)),
        };
        if let Some(lock) = &waiting.lock {
            drop(lock.lock().await);
        }
    }

    /// Takes `run` unless this runtime drives it now (or a recorder of it still commits).
    pub(crate) fn try_take(&self, run: crate::store::RunId) -> Option<Driving<'_>> {
        let guard = self.drives.lock_of(run).try_lock_owned().ok();
        // Also when it is taken: the drop forgets an unused entry.
        let driving = Driving {
            drives: self,
            run,
            guard,
        };
        driving.guard.as_ref()?;
        let recording = self.recording.lock_of(run);
        let idle = Arc::clone(&recording).try_lock_owned().ok();
        let idle_now = idle.is_some();
        self.recording.release(run, idle, Some(recording));
        idle_now.then_some(driving)
    }

    /// The recording hold of a drive's recorder on `run`, taken while the drive holds
    /// the run (so no other recorder of it runs: [`take`](Self::take) waited for them).
    pub(crate) fn recording(self: &Arc<Self>, run: crate::store::RunId) -> Recording {
        let guard = self.recording.lock_of(run).try_lock_owned().ok();
        Recording {
            drives: Arc::clone(self),
            run,
            guard,
        }
    }
}

/// A wait for `run`'s lock in `locks`, which forgets the lock when it ends or is dropped
/// (and nobody else holds or waits for it).
struct Waiting<'a> {
    locks: &'a RunLocks,
    run: crate::store::RunId,
    lock: Option<Arc<tokio::sync::Mutex<()>>>,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.locks.release(self.run, None, self.lock.take());
    }
}

impl Drop for Driving<'_> {
    fn drop(&mut self) {
        self.drives
            .drives
            .release(self.run, self.guard.take(), None);
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        self.drives
            .recording
            .release(self.run, self.guard.take(), None);
    }
}

/// The durable settings collected by a [`RuntimeBuilder`].
#[derive(Debug, Default)]
pub(crate) struct DurableSettings {
    pub(crate) store: Option<Arc<dyn crate::store::Store>>,
    pub(crate) owner: Option<crate::store::OwnerId>,
    pub(crate) lease: Option<Duration>,
    pub(crate) retention: crate::store::Retention,
    pub(crate) on_end: Option<OnDurableEnd>,
    /// `RuntimeBuilder::store_timeout`: `None` for the default.
    pub(crate) store_timeout: Option<Duration>,
}

/// The default of `RuntimeBuilder::store_timeout`: generous, since a store that is slow
/// but answers is cut too; past twice the default lease, another owner may have taken
/// the run over anyway.
pub(crate) const DEFAULT_STORE_TIMEOUT: Duration = Duration::from_secs(60);

/// The default lease: long against clock skew between processes, short enough that a
/// crashed process's runs are recovered within a minute.
const DEFAULT_LEASE: Duration = Duration::from_secs(30);

impl DurableSettings {
    pub(crate) fn build(self) -> Option<Arc<DurableConfig>> {
        let store = self.store?;
        Some(Arc::new(DurableConfig {
            store,
            owner: self
                .owner
                .unwrap_or_else(crate::store::OwnerId::for_this_process),
            lease: self
                .lease
                .unwrap_or(DEFAULT_LEASE)
                .max(Duration::from_millis(3)),
            retention: self.retention,
            on_end: self.on_end,
            // `Duration::MAX`: no limit; under a millisecond: one.
            store_timeout: Some(self.store_timeout.unwrap_or(DEFAULT_STORE_TIMEOUT))
                .filter(|&limit| limit != Duration::MAX)
                .map(|limit| limit.max(Duration::from_millis(1))),
            drives: Arc::default(),
        }))
    }
}
