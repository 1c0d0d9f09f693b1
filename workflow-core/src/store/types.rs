//! The values a store keeps: run ids, node paths, run rows, recorded outputs, leases.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::StoreError;

/// The id of a durable run, unique within one store (assigned by it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RunId(pub i64);

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Parses a run id as it is displayed (`"3"`), as a command-line tool resuming or
/// retrying a run by id reads it:
///
/// ```
/// use workflow_core::store::RunId;
///
/// let id: RunId = "42".parse().unwrap();
/// assert_eq!(id, RunId(42));
/// assert_eq!(id.to_string().parse::<RunId>(), Ok(id));
/// assert!("run-42".parse::<RunId>().is_err());
/// ```
impl std::str::FromStr for RunId {
    type Err = std::num::ParseIntError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim().parse().map(RunId)
    }
}

/// Milliseconds since the Unix epoch, as the store's [`Clock`] reads them.
///
/// Displayed as a UTC date and time, to the millisecond:
///
/// ```
/// use workflow_core::store::Timestamp;
///
/// assert_eq!(Timestamp(0).to_string(), "1970-01-01 00:00:00.000 UTC");
/// assert_eq!(Timestamp(1_764_556_437_085).to_string(), "2025-12-01 02:33:57.085 UTC");
/// assert_eq!(Timestamp(-1).to_string(), "1969-12-31 23:59:59.999 UTC");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (days, ms) = (self.0.div_euclid(86_400_000), self.0.rem_euclid(86_400_000));
        let (year, month, day) = civil_from_days(days);
        let (h, m, s, milli) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
        write!(
            f,
            "{year:04}-{month:02}-{day:02} {h:02}:{m:02}:{s:02}.{milli:03} UTC"
        )
    }
}

/// The proleptic Gregorian date of `days` since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`), for [`Timestamp`]'s display without a date crate.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

impl Timestamp {
    /// This time plus `d` (saturating).
    pub fn plus(self, d: Duration) -> Timestamp {
        Timestamp(self.0.saturating_add(duration_ms(d)))
    }

    /// This time minus `d` (saturating).
    pub fn minus(self, d: Duration) -> Timestamp {
        Timestamp(self.0.saturating_sub(duration_ms(d)))
    }
}

fn duration_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Where a store reads the time for leases and for `created_at`/`finished_at`.
///
/// Leases compare times written by different processes, so every process sharing a store
/// must have roughly the same clock; choose leases much longer than the skew (the default
/// clock is the system's, and seconds of skew against a 30 s lease are harmless).
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let since = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        Timestamp(duration_ms(since))
    }
}

/// A clock that moves only when told to: lease expiry in tests without waiting.
///
/// Clones share one time.
///
/// ```
/// use std::time::Duration;
/// use workflow_core::store::{Clock, ManualClock, Timestamp};
///
/// let clock = ManualClock::new(Timestamp(1_000));
/// clock.advance(Duration::from_secs(2));
/// assert_eq!(clock.now(), Timestamp(3_000));
/// ```
#[derive(Debug, Clone, Default)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    /// A clock reading `start`.
    pub fn new(start: Timestamp) -> ManualClock {
        ManualClock(Arc::new(AtomicI64::new(start.0)))
    }

    /// Moves the clock forward by `d`, stopping at the largest time (`Timestamp(i64::MAX)`)
    /// rather than wrapping around to before the epoch.
    ///
    /// ```
    /// use std::time::Duration;
    /// use workflow_core::store::{Clock, ManualClock, Timestamp};
    ///
    /// let clock = ManualClock::new(Timestamp(1_000));
    /// clock.advance(Duration::MAX);
    /// assert_eq!(clock.now(), Timestamp(i64::MAX));
    /// ```
    pub fn advance(&self, d: Duration) {
        // `fetch_add` wraps: a huge `d` would move the clock to before the epoch, and
        // every lease would look unexpired.
        let by = duration_ms(d);
        let _ = self
            .0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |t| {
                Some(t.saturating_add(by))
            });
    }

    /// Sets the clock to `t`.
    pub fn set(&self, t: Timestamp) {
        self.0.store(t.0, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

/// A node's identity inside a run: its binding path, such as `page` or `thumbs[3].img`
/// (binding `img` of item 3 of the fan-out `thumbs`).
///
/// Segments are identifiers, each optionally followed by `[index]`, joined by `.`. The
/// text form is canonical: it is what the store keys rows by.
///
/// ```
/// use workflow_core::store::NodePath;
///
/// let p = NodePath::new("thumbs").unwrap().at(3).field("img").unwrap();
/// assert_eq!(p.as_str(), "thumbs[3].img");
/// assert_eq!("thumbs[3].img".parse::<NodePath>().unwrap(), p);
/// assert!(NodePath::new("3d").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodePath(String);

impl NodePath {
    /// A top-level binding.
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidPath`] when `binding` is not an identifier.
    pub fn new(binding: &str) -> Result<NodePath, StoreError> {
        if is_ident(binding) {
            Ok(NodePath(binding.to_owned()))
        } else {
            Err(invalid(binding, "a binding must be an identifier"))
        }
    }

    /// This path's item `index` (a fan-out item).
    pub fn at(mut self, index: usize) -> NodePath {
        self.0.push('[');
        self.0.push_str(&index.to_string());
        self.0.push(']');
        self
    }

    /// The binding `name` inside this path (a node of a fan-out item's sub-graph).
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidPath`] when `name` is not an identifier.
    pub fn field(mut self, name: &str) -> Result<NodePath, StoreError> {
        if !is_ident(name) {
            return Err(invalid(name, "a binding must be an identifier"));
        }
        self.0.push('.');
        self.0.push_str(name);
        Ok(self)
    }

    /// The canonical text form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The graph node this path is an instance of: the path without fan-out indices
    /// (`thumbs[3].img` → `thumbs[].img`; `page` → `page`). Node versions and output types
    /// belong to templates; recorded rows to paths.
    ///
    /// ```
    /// use workflow_core::store::NodePath;
    ///
    /// let p: NodePath = "pages[12].thumbs[3].img".parse().unwrap();
    /// assert_eq!(p.template(), "pages[].thumbs[].img");
    /// ```
    pub fn template(&self) -> String {
        let mut template = String::with_capacity(self.0.len());
        let mut in_index = false;
        for c in self.0.chars() {
            match c {
                '[' => {
                    in_index = true;
                    template.push(c);
                }
                ']' => {
                    in_index = false;
                    template.push(c);
                }
                _ if in_index => {}
                _ => template.push(c),
            }
        }
        template
    }
}

impl fmt::Display for NodePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for NodePath {
    type Err = StoreError;

    fn from_str(text: &str) -> Result<NodePath, StoreError> {
        for segment in text.split('.') {
            let (name, mut rest) = match segment.find('[') {
                Some(i) => segment.split_at(i),
                None => (segment, ""),
            };
            if !is_ident(name) {
                return Err(invalid(text, "each segment must start with an identifier"));
            }
            while !rest.is_empty() {
                let close = rest
                    .find(']')
                    .ok_or_else(|| invalid(text, "unclosed `[`"))?;
                let index = &rest[1..close];
                let canonical = index.parse::<usize>().ok().map(|i| i.to_string());
                if !rest.starts_with('[') || canonical.as_deref() != Some(index) {
                    return Err(invalid(
                        text,
                        "an index must be `[n]` with n a plain number",
                    ));
                }
                rest = &rest[close + 1..];
            }
        }
        Ok(NodePath(text.to_owned()))
    }
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

fn invalid(path: &str, reason: &'static str) -> StoreError {
    StoreError::InvalidPath {
        path: path.to_owned(),
        reason,
    }
}

/// Who holds a run's lease: one per [`Runtime`](crate::Runtime), stable while it lives.
///
/// Two owners never share a lease: a run leased to one is refused to the other
/// ([`StoreError::LeaseHeld`]) until the lease expires, while the same owner may claim
/// its own run again (a resume after its run's future was dropped).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OwnerId(pub String);

impl OwnerId {
    /// An owner named by the caller (e.g. a host name and worker number).
    pub fn new(name: impl Into<String>) -> OwnerId {
        OwnerId(name.into())
    }

    /// A new owner of this process, distinct from every other call's:
    /// `pid-<pid>-<time in ns>-<call number>`. It is what a runtime built without
    /// [`RuntimeBuilder::owner`](crate::RuntimeBuilder::owner) holds its leases as.
    ///
    /// Distinct per call, not one per process, on purpose: two runtimes of one process
    /// (a server's and a recovery job's, or two tests') sharing an owner would each be
    /// allowed to claim a run the other is running, and run its nodes twice. Name the
    /// owner yourself ([`OwnerId::new`]) when a restarted process should take its own
    /// runs back at once rather than after their leases expire.
    ///
    /// ```
    /// use workflow_core::store::OwnerId;
    ///
    /// let (a, b) = (OwnerId::for_this_process(), OwnerId::for_this_process());
    /// assert_ne!(a, b);
    /// assert!(a.0.starts_with(&format!("pid-{}-", std::process::id())));
    /// ```
    pub fn for_this_process() -> OwnerId {
        // The call number makes two calls in one clock tick distinct too.
        static CALLS: AtomicI64 = AtomicI64::new(0);
        let call = CALLS.fetch_add(1, Ordering::Relaxed);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_nanos();
        OwnerId(format!("pid-{}-{nanos}-{call}", std::process::id()))
    }
}

impl fmt::Display for OwnerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A fingerprint of a workflow's graph (its nodes, edges and node versions), computed by
/// the macro. Equal fingerprints mean a run can resume without checking node by node.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GraphFingerprint(pub String);

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunStatus {
    /// Not finished: running under a lease, or waiting to be recovered once it expires.
    Running,
    /// Finished with outputs.
    Succeeded,
    /// Finished with an error.
    Failed,
}

impl RunStatus {
    /// The text stored in the `status` column.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
        }
    }

    /// Parses the `status` column ([`as_str`](Self::as_str)'s text).
    pub fn parse(text: &str) -> Option<RunStatus> {
        match text {
            "running" => Some(RunStatus::Running),
            "succeeded" => Some(RunStatus::Succeeded),
            "failed" => Some(RunStatus::Failed),
            _ => None,
        }
    }

    /// Whether the run is over.
    pub fn is_finished(self) -> bool {
        self != RunStatus::Running
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What [`Store::create_run`](super::Store::create_run) needs to start a durable run.
#[derive(Debug, Clone)]
pub struct NewRun {
    /// The workflow's name.
    pub workflow: String,
    /// The graph's fingerprint when the run started.
    pub fingerprint: GraphFingerprint,
    /// The run's input, encoded (see [`encode`](super::encode)).
    pub input: Vec<u8>,
    /// The caller's key: a second create with the same key returns the first run.
    pub idempotency_key: Option<String>,
    /// Who runs it.
    pub owner: OwnerId,
    /// How long the lease lasts before another process may take the run over.
    pub lease: Duration,
}

/// The row of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRecord {
    /// Its id.
    pub id: RunId,
    /// The workflow's name.
    pub workflow: String,
    /// The graph's fingerprint when the run was created.
    pub fingerprint: GraphFingerprint,
    /// The encoded input.
    pub input: Vec<u8>,
    /// The idempotency key it was created with.
    pub idempotency_key: Option<String>,
    /// Where it stands.
    pub status: RunStatus,
    /// Who holds (or last held) its lease; `None` once finished.
    pub owner: Option<OwnerId>,
    /// When the lease runs out; `None` once finished.
    pub lease_expires_at: Option<Timestamp>,
    /// How many times it was claimed, counting the creation (2 or more: it was resumed).
    pub claims: u32,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it finished.
    pub finished_at: Option<Timestamp>,
    /// The encoded outputs of a run that succeeded, when the caller stored them.
    pub output: Option<Vec<u8>>,
    /// Why a failed run failed.
    pub error: Option<String>,
}

/// One node's recorded output: the row keyed by `(run, path)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedOutput {
    /// The node's binding path.
    pub path: NodePath,
    /// The node's version when it ran (`#[node(version = N)]`; 1 unless set).
    pub node_version: u32,
    /// The output's type name (`std::any::type_name`) when it ran: a changed type means the
    /// row no longer fits and the node runs again.
    pub output_type: String,
    /// The encoded output.
    pub value: Vec<u8>,
}

/// The arm a branch took, recorded so that a resumed run takes the same one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchChoice {
    /// The branch's binding path.
    pub path: NodePath,
    /// The arm's name.
    pub arm: String,
}

/// One write into a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// A node finished: keep its output.
    Output(RecordedOutput),
    /// A branch chose an arm.
    Branch(BranchChoice),
}

/// What the current code says about a graph node: its version (`#[node(version = N)]`)
/// and output type name. Compared with a recorded row's to decide whether the row can be
/// restored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeSignature<'a> {
    /// The node's version.
    pub version: u32,
    /// `std::any::type_name` of its output.
    pub output_type: &'a str,
}

/// Why a recorded output cannot be restored into the current graph (its node runs again,
/// or, where that is unsafe, the resume is refused with the list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Staleness {
    /// The graph has no such node any more.
    Removed,
    /// The node's version was bumped.
    VersionChanged {
        /// The version that recorded the row.
        recorded: u32,
        /// The version now.
        current: u32,
    },
    /// The node's output type changed.
    TypeChanged {
        /// The type that was recorded.
        recorded: String,
        /// The type now.
        current: String,
    },
}

/// An earlier attempt of a run that failed and was then run again
/// ([`Store::retry_run`](super::Store::retry_run)): the run row shows its latest attempt
/// only, so each failure it had before is kept here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedAttempt {
    /// 1 for the run's first failure, 2 for the failure of its first retry, ...
    pub attempt: u32,
    /// Why it failed (the run row's `error` then).
    pub error: String,
    /// When it failed (the run row's `finished_at` then).
    pub failed_at: Timestamp,
}

/// Everything recorded for a run: what a resume loads into the slots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunState {
    /// The run's row.
    pub run: RunRecord,
    /// Recorded node outputs, ordered by path.
    pub outputs: Vec<RecordedOutput>,
    /// Recorded branch choices, ordered by path.
    pub branches: Vec<BranchChoice>,
    /// The failures before the current attempt, oldest first: empty unless the run failed
    /// and was retried ([`Store::retry_run`](super::Store::retry_run)).
    pub attempts: Vec<FailedAttempt>,
}

impl RunState {
    /// The recorded outputs the current graph cannot take, with why, in path order.
    /// `current` looks a node up by its [template](NodePath::template) (`None`: no such
    /// node now). The other rows can be restored as they are.
    ///
    /// ```
    /// use workflow_core::store::*;
    /// # let run = RunRecord {
    /// #     id: RunId(1), workflow: "w".into(), fingerprint: GraphFingerprint("f".into()),
    /// #     input: vec![], idempotency_key: None, status: RunStatus::Running, owner: None,
    /// #     lease_expires_at: None, claims: 1, created_at: Timestamp(0), finished_at: None,
    /// #     output: None, error: None,
    /// # };
    /// let row = |path: &str, version| {
    ///     RecordedOutput::encode(RunId(1), path.parse().unwrap(), version, &1u32).unwrap()
    /// };
    /// let state = RunState {
    ///     run,
    ///     outputs: vec![row("page", 1), row("thumbs[0].img", 1), row("old", 1), row("n", 1)],
    ///     branches: vec![],
    ///     attempts: vec![],
    /// };
    /// let stale = state.stale_outputs(|node| match node {
    ///     "page" => Some(NodeSignature { version: 1, output_type: "u32" }),
    ///     "thumbs[].img" => Some(NodeSignature { version: 2, output_type: "u32" }),
    ///     "n" => Some(NodeSignature { version: 1, output_type: "u64" }),
    ///     _ => None,
    /// });
    /// assert_eq!(
    ///     stale,
    ///     [
    ///         ("n".parse().unwrap(), Staleness::TypeChanged { recorded: "u32".into(), current: "u64".into() }),
    ///         ("old".parse().unwrap(), Staleness::Removed),
    ///         ("thumbs[0].img".parse().unwrap(), Staleness::VersionChanged { recorded: 1, current: 2 }),
    ///     ]
    /// );
    /// ```
    pub fn stale_outputs<'a>(
        &self,
        current: impl Fn(&str) -> Option<NodeSignature<'a>>,
    ) -> Vec<(NodePath, Staleness)> {
        let mut stale: Vec<(NodePath, Staleness)> = self
            .outputs
            .iter()
            .filter_map(|row| {
                let why = match current(&row.path.template()) {
                    None => Staleness::Removed,
                    Some(now) if now.version != row.node_version => Staleness::VersionChanged {
                        recorded: row.node_version,
                        current: now.version,
                    },
                    Some(now) if now.output_type != row.output_type => Staleness::TypeChanged {
                        recorded: row.output_type.clone(),
                        current: now.output_type.to_owned(),
                    },
                    Some(_) => return None,
                };
                Some((row.path.clone(), why))
            })
            .collect();
        stale.sort_by(|a, b| a.0.cmp(&b.0));
        stale
    }
}

/// The right to write into a run, returned by a create or a claim. Writes with a lease that
/// another owner has since taken over fail with [`StoreError::LeaseLost`], so a process
/// that stalled past its lease cannot overwrite the new owner's rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The run.
    pub run: RunId,
    /// The holder.
    pub owner: OwnerId,
    /// When it runs out unless renewed.
    pub expires_at: Timestamp,
}

/// A run this owner now holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    /// The lease to write with.
    pub lease: Lease,
    /// The run's row after the claim.
    pub run: RunRecord,
}

/// What [`Store::create_run`](super::Store::create_run) did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreatedRun {
    /// A new run, leased to the caller.
    New(Claimed),
    /// A run with this idempotency key already existed; it was left as it was (claim it to
    /// resume it, or read its outcome).
    Existing(RunRecord),
}

impl CreatedRun {
    /// The run's id, new or existing.
    pub fn run_id(&self) -> RunId {
        match self {
            CreatedRun::New(claimed) => claimed.run.id,
            CreatedRun::Existing(run) => run.id,
        }
    }

    /// Whether the idempotency key matched an earlier run.
    pub fn already_existed(&self) -> bool {
        matches!(self, CreatedRun::Existing(_))
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunOutcome {
    /// It produced its outputs (encoded, when the caller keeps them).
    Succeeded {
        /// The encoded outputs, if the caller wants a repeated start to return them.
        output: Option<Vec<u8>>,
    },
    /// It failed.
    Failed {
        /// The error, as text.
        error: String,
    },
}

/// What happens to a finished run's node rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Retention {
    /// Delete them when the run succeeds (kept when it fails, for inspection). The default:
    /// checkpoint tables do not grow with every run ever made.
    #[default]
    DeleteOnSuccess,
    /// Keep them (until [`purge`](super::Store::purge)).
    Keep,
}

/// Which runs [`Store::list_runs`](super::Store::list_runs) returns, newest first.
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    /// Only runs with this status.
    pub status: Option<RunStatus>,
    /// Only runs of this workflow.
    pub workflow: Option<String>,
    /// Only runs with an id below this (paging: pass the last id of the previous page).
    pub before: Option<RunId>,
    /// At most this many (0, or more than `i64::MAX` such as `usize::MAX`: no limit).
    pub limit: usize,
}

/// Which runs [`Store::purge`](super::Store::purge) deletes: finished ones only.
#[derive(Debug, Clone, Copy)]
pub struct PurgeFilter {
    /// Runs that finished before this time.
    pub finished_before: Timestamp,
    /// Only runs with this status (`None`: succeeded and failed). `Running` matches nothing.
    pub status: Option<RunStatus>,
}

/// Counters for tests and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Transactions committed (with SQLite in `Durability::SurvivesPowerLoss`, or
    /// Postgres with `fsync` on, each is one sync to disk).
    pub commits: u64,
    /// Records written ([`Store::record`](super::Store::record) calls that succeeded).
    pub records: u64,
}
