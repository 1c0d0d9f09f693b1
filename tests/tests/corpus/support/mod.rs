//! Shared by the reliability and property tests: the generated corpus of graph shapes,
//! the scripted generic nodes they are made of, a journal of what each node attempt did,
//! and a sequential reference evaluator of the same graphs.
//!
//! Each node of a corpus workflow is one of `g0`..`g3` (by its number of inputs). Its
//! behaviour comes from the run's [`Script`] input: how long each attempt sleeps and
//! whether it fails (for its first k attempts or always), panics or hangs. Every attempt
//! holds an [`AttemptGuard`] that writes `Started` into the script's journal and, when it
//! goes away, exactly one of `Ended` or `Dropped`, so a test sees every attempt that was
//! started and how it ended.

#![allow(dead_code, unreachable_pub, missing_docs)]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::Duration;

use futures::FutureExt as _;
use tokio::time::Instant;
use workflow_core::prelude::*;
use workflow_core::{NodeStatus, RunReport, TimeoutScope};

// ---------------------------------------------------------------------------------------
// The corpus.

/// One node of a generated shape, as data.
#[derive(Debug)]
pub struct NodeShape {
    /// Upstream nodes, in port order (`a`, `b`, `c`).
    pub preds: &'static [usize],
    /// Per-attempt timeout.
    pub timeout_ms: Option<u64>,
    /// `(max attempts, backoff ms)`; the delay doubles after each failed attempt.
    pub retry: Option<(u32, u64)>,
    /// Spawned as its own task.
    pub spawn: bool,
    /// Marked `#[output]`.
    pub output: bool,
}

impl NodeShape {
    pub fn max_attempts(&self) -> u32 {
        self.retry.map_or(1, |(m, _)| m)
    }
}

/// A generated shape, as data.
#[derive(Debug)]
pub struct ShapeSpec {
    pub name: &'static str,
    pub nodes: &'static [NodeShape],
}

impl ShapeSpec {
    /// Whether `node` is downstream of `from` (or is `from`).
    pub fn reaches(&self, from: usize, node: usize) -> bool {
        if from == node {
            return true;
        }
        self.nodes[node]
            .preds
            .iter()
            .any(|&p| p >= from && self.reaches(from, p))
    }

    /// Nodes that are workflow outputs: sinks and `#[output]` bindings.
    pub fn outputs(&self) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&i| self.nodes[i].output || !self.nodes.iter().any(|n| n.preds.contains(&i)))
            .collect()
    }
}

/// The future [`run_shape`] returns: outputs as `(node, value)` pairs, and the report.
pub type ShapeRun =
    Pin<Box<dyn Future<Output = (Result<Vec<(usize, u64)>, WorkflowError>, RunReport)> + Send>>;

include!(concat!(env!("OUT_DIR"), "/corpus.rs"));

/// proptest's settings for the corpus tests: `cases` cases unless `PROPTEST_CASES` asks for
/// another number, and failures persisted to `regressions` (a file under
/// `tests/proptest-regressions/`, committed): every seed that ever failed is replayed
/// first on each later run, so a failure found once reproduces everywhere.
pub fn proptest_config(cases: u32, regressions: &'static str) -> proptest::test_runner::Config {
    use proptest::test_runner::{Config, FileFailurePersistence};
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(regressions))),
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------------------
// Behaviour scripts.

/// What goes wrong in a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    /// Returns an error on its first `first` attempts (`u32::MAX`: always).
    Fail {
        first: u32,
    },
    /// Panics with `boom n{index}`.
    Panic,
    /// Never finishes (after its sleep).
    Hang,
}

/// What one node does on every attempt: sleep, then the fault (if any).
#[derive(Debug, Clone, Copy)]
pub struct Behaviour {
    pub sleep_ms: u64,
    pub fault: Fault,
}

impl Behaviour {
    pub const OK: Self = Self {
        sleep_ms: 0,
        fault: Fault::None,
    };
}

/// The error a scripted node returns.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("scripted failure of n{node} on attempt {attempt}")]
pub struct Scripted {
    pub node: usize,
    pub attempt: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    Ok(u64),
    Err,
    Panic,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum What {
    Started,
    Ended(Ended),
    /// The attempt's future was dropped before it finished.
    Dropped,
}

/// One line of the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub node: usize,
    pub attempt: u32,
    /// Milliseconds since the script was made (tokio's clock).
    pub at: u64,
    pub what: What,
}

/// A run's script: the behaviour of each node, and the journal of what happened.
#[derive(Debug)]
pub struct Script {
    pub behaviour: Vec<Behaviour>,
    pub journal: Mutex<Vec<Entry>>,
    pub t0: Instant,
    /// Attempts started and not yet ended or dropped, across every script sharing it.
    pub live: Arc<AtomicUsize>,
    /// The most attempts `live` ever counted at once.
    pub peak: Arc<AtomicUsize>,
}

impl Script {
    pub fn new(behaviour: Vec<Behaviour>) -> Arc<Self> {
        Self::with_live(behaviour, Arc::new(AtomicUsize::new(0)))
    }

    pub fn with_live(behaviour: Vec<Behaviour>, live: Arc<AtomicUsize>) -> Arc<Self> {
        Self::with_counters(behaviour, live, Arc::new(AtomicUsize::new(0)))
    }

    pub fn with_counters(
        behaviour: Vec<Behaviour>,
        live: Arc<AtomicUsize>,
        peak: Arc<AtomicUsize>,
    ) -> Arc<Self> {
        Arc::new(Self {
            behaviour,
            journal: Mutex::new(Vec::new()),
            t0: Instant::now(),
            live,
            peak,
        })
    }

    pub fn entries(&self) -> Vec<Entry> {
        self.journal.lock().unwrap().clone()
    }

    fn write(&self, node: usize, attempt: u32, what: What) {
        let at = u64::try_from(self.t0.elapsed().as_millis()).unwrap();
        self.journal.lock().unwrap().push(Entry {
            node,
            attempt,
            at,
            what,
        });
    }
}

/// Journals one attempt: `Started` when made, `Ended` by [`AttemptGuard::end`] or
/// `Dropped` when it goes away unfinished.
pub struct AttemptGuard<'a> {
    script: &'a Script,
    node: usize,
    attempt: u32,
    ended: bool,
}

impl<'a> AttemptGuard<'a> {
    pub fn start(script: &'a Script, node: usize, attempt: u32) -> Self {
        let now = script.live.fetch_add(1, Ordering::SeqCst) + 1;
        script.peak.fetch_max(now, Ordering::SeqCst);
        script.write(node, attempt, What::Started);
        Self {
            script,
            node,
            attempt,
            ended: false,
        }
    }

    pub fn end(mut self, how: Ended) {
        self.ended = true;
        self.script.write(self.node, self.attempt, What::Ended(how));
    }
}

impl Drop for AttemptGuard<'_> {
    fn drop(&mut self) {
        if !self.ended {
            self.script.write(self.node, self.attempt, What::Dropped);
        }
        self.script.live.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A resource every scripted node holds while it runs.
#[derive(Debug, Default)]
pub struct Probe;

/// The value node `i` computes from its inputs (order matters).
pub fn value(node: usize, inputs: &[u64]) -> u64 {
    let mut h = (node as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for (k, &x) in inputs.iter().enumerate() {
        h ^= x.rotate_left(7 * k as u32 + 3);
        h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
        h ^= h >> 29;
    }
    h
}

fn node_index(ctx: &Context) -> usize {
    ctx.node()
        .strip_prefix('n')
        .and_then(|n| n.parse().ok())
        .expect("corpus nodes are called n<index>")
}

async fn behave(s: &Script, ctx: &Context, inputs: &[u64]) -> Result<u64, Scripted> {
    let node = node_index(ctx);
    let attempt = ctx.attempt();
    let guard = AttemptGuard::start(s, node, attempt);
    let b = s.behaviour.get(node).copied().unwrap_or(Behaviour::OK);
    if b.sleep_ms > 0 {
        tokio::time::sleep(Duration::from_millis(b.sleep_ms)).await;
    }
    match b.fault {
        Fault::None => {}
        Fault::Fail { first } if attempt <= first => {
            guard.end(Ended::Err);
            return Err(Scripted { node, attempt });
        }
        Fault::Fail { .. } => {}
        Fault::Panic => {
            guard.end(Ended::Panic);
            panic!("boom n{node}");
        }
        Fault::Hang => std::future::pending::<()>().await,
    }
    let v = value(node, inputs);
    guard.end(Ended::Ok(v));
    Ok(v)
}

#[node]
pub async fn g0(s: Arc<Script>, _p: Res<Probe>, ctx: &Context) -> Result<u64, Scripted> {
    behave(&s, ctx, &[]).await
}

#[node]
pub async fn g1(s: Arc<Script>, a: u64, _p: Res<Probe>, ctx: &Context) -> Result<u64, Scripted> {
    behave(&s, ctx, &[a]).await
}

#[node]
pub async fn g2(
    s: Arc<Script>,
    a: u64,
    b: u64,
    _p: Res<Probe>,
    ctx: &Context,
) -> Result<u64, Scripted> {
    behave(&s, ctx, &[a, b]).await
}

#[node]
pub async fn g3(
    s: Arc<Script>,
    a: u64,
    b: u64,
    c: u64,
    _p: Res<Probe>,
    ctx: &Context,
) -> Result<u64, Scripted> {
    behave(&s, ctx, &[a, b, c]).await
}

/// Silences the panics the tests inject on purpose (`boom ...`); every other panic goes
/// to the default hook as usual.
pub fn quiet_injected_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            if !msg.starts_with("boom") {
                default(info);
            }
        }));
    });
}

/// A current-thread tokio runtime with the clock paused.
pub fn paused_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap()
}

// ---------------------------------------------------------------------------------------
// The sequential reference evaluator.

/// How a node ends in the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefOutcome {
    Ok(u64),
    Error {
        attempts: u32,
    },
    Panic,
    Timeout {
        limit_ms: u64,
    },
    /// Started and never ends.
    Hang,
    /// Never starts: something upstream failed or hangs.
    NotRun,
}

impl RefOutcome {
    pub fn failed(self) -> bool {
        matches!(
            self,
            Self::Error { .. } | Self::Panic | Self::Timeout { .. }
        )
    }
}

/// One node as the reference evaluates it (times in ms from the start of the run).
#[derive(Debug, Clone)]
pub struct RefNode {
    pub start: Option<u64>,
    pub attempt_starts: Vec<u64>,
    pub end: Option<u64>,
    pub outcome: RefOutcome,
}

/// Evaluates `shape` under `script` one node after the other, in index order (which is
/// topological), computing when each node would start and end with unlimited
/// concurrency: a node starts when its last input is ready; every failure stops its
/// downstream nodes, and nothing else.
pub fn reference(shape: &ShapeSpec, behaviour: &[Behaviour]) -> Vec<RefNode> {
    let mut out: Vec<RefNode> = Vec::with_capacity(shape.nodes.len());
    for (i, n) in shape.nodes.iter().enumerate() {
        let mut inputs = Vec::new();
        let mut start = Some(0u64);
        for &p in n.preds {
            match (out[p].outcome, out[p].end) {
                (RefOutcome::Ok(v), Some(end)) => {
                    inputs.push(v);
                    start = start.map(|s| s.max(end));
                }
                _ => start = None,
            }
        }
        let Some(start) = start else {
            out.push(RefNode {
                start: None,
                attempt_starts: Vec::new(),
                end: None,
                outcome: RefOutcome::NotRun,
            });
            continue;
        };
        let b = behaviour.get(i).copied().unwrap_or(Behaviour::OK);
        let max = n.max_attempts();
        let mut t = start;
        let mut attempt = 0;
        let mut starts = Vec::new();
        let (end, outcome) = loop {
            attempt += 1;
            starts.push(t);
            // How long the attempt takes on its own (None: forever), and how it ends.
            let natural = match b.fault {
                Fault::Hang => None,
                _ => Some(b.sleep_ms),
            };
            let timed_out = match (n.timeout_ms, natural) {
                (Some(limit), None) => Some(limit),
                (Some(limit), Some(d)) if d > limit => Some(limit),
                _ => None,
            };
            let (end, result) = if let Some(limit) = timed_out {
                (t + limit, RefOutcome::Timeout { limit_ms: limit })
            } else if let Some(d) = natural {
                let result = match b.fault {
                    Fault::Fail { first } if attempt <= first => {
                        RefOutcome::Error { attempts: attempt }
                    }
                    Fault::Panic => RefOutcome::Panic,
                    _ => RefOutcome::Ok(value(i, &inputs)),
                };
                (t + d, result)
            } else {
                break (None, RefOutcome::Hang);
            };
            let retryable = matches!(
                result,
                RefOutcome::Error { .. } | RefOutcome::Timeout { .. }
            );
            if retryable && attempt < max {
                let backoff = n.retry.map_or(0, |(_, b)| b);
                t = end + backoff * (1 << (attempt - 1));
                continue;
            }
            break (Some(end), result);
        };
        out.push(RefNode {
            start: Some(start),
            attempt_starts: starts,
            end,
            outcome,
        });
    }
    out
}

// ---------------------------------------------------------------------------------------
// Checks.

/// The `(node, attempt)` table of a journal: start time, and how it ended (None: open).
#[derive(Debug, Default, Clone)]
pub struct NodeLog {
    /// Per attempt (index 0 is attempt 1): start ms, and the terminal entry.
    pub attempts: Vec<(u64, Option<(u64, What)>)>,
}

impl NodeLog {
    pub fn starts(&self) -> Vec<u64> {
        self.attempts.iter().map(|a| a.0).collect()
    }

    pub fn ended_ok(&self) -> Option<(u64, u64)> {
        self.attempts.last().and_then(|a| match a.1 {
            Some((at, What::Ended(Ended::Ok(v)))) => Some((at, v)),
            _ => None,
        })
    }
}

/// Checks what must hold of any journal, whatever the timing: every attempt of every
/// node started once, in order, after the previous one ended and after all the node's
/// inputs were produced; every started attempt ended or was dropped exactly once; no
/// node made more attempts than its policy allows; at most `max_live` attempts were
/// open at once. Returns the journal per node.
pub fn check_journal(
    shape: &ShapeSpec,
    entries: &[Entry],
    max_live: Option<usize>,
    ctx: &str,
) -> Vec<NodeLog> {
    let mut logs = vec![NodeLog::default(); shape.nodes.len()];
    let mut open = 0usize;
    for e in entries {
        let log = &mut logs[e.node];
        match e.what {
            What::Started => {
                assert_eq!(
                    e.attempt as usize,
                    log.attempts.len() + 1,
                    "{ctx}: n{} attempt {} started out of order (double run?)",
                    e.node,
                    e.attempt
                );
                if let Some(prev) = log.attempts.last() {
                    let (_, how) = prev.1.unwrap_or_else(|| {
                        panic!(
                            "{ctx}: n{} attempt {} started while attempt {} was still open",
                            e.node,
                            e.attempt,
                            e.attempt - 1
                        )
                    });
                    assert!(
                        matches!(how, What::Ended(Ended::Err) | What::Dropped),
                        "{ctx}: n{} retried after {how:?}",
                        e.node
                    );
                }
                if e.attempt == 1 {
                    for &p in shape.nodes[e.node].preds {
                        let ok = logs[p].ended_ok();
                        assert!(
                            matches!(ok, Some((at, _)) if at <= e.at),
                            "{ctx}: n{} started at {} ms before its input n{p} was produced",
                            e.node,
                            e.at
                        );
                    }
                }
                let log = &mut logs[e.node];
                log.attempts.push((e.at, None));
                open += 1;
                if let Some(max) = max_live {
                    assert!(
                        open <= max,
                        "{ctx}: {open} attempts open at once; the limit is {max}"
                    );
                }
            }
            What::Ended(_) | What::Dropped => {
                let slot = log
                    .attempts
                    .get_mut(e.attempt as usize - 1)
                    .unwrap_or_else(|| {
                        panic!(
                            "{ctx}: n{} attempt {} ended, never started",
                            e.node, e.attempt
                        )
                    });
                assert!(
                    slot.1.is_none(),
                    "{ctx}: n{} attempt {} ended twice",
                    e.node,
                    e.attempt
                );
                slot.1 = Some((e.at, e.what));
                open -= 1;
            }
        }
    }
    for (i, log) in logs.iter().enumerate() {
        assert!(
            log.attempts.len() <= shape.nodes[i].max_attempts() as usize,
            "{ctx}: n{i} made {} attempts, more than its policy allows",
            log.attempts.len()
        );
        for (k, a) in log.attempts.iter().enumerate() {
            assert!(
                a.1.is_some(),
                "{ctx}: n{i} attempt {} was neither finished nor dropped",
                k + 1
            );
        }
    }
    logs
}

/// Checks that the report agrees with the journal.
pub fn check_report_vs_journal(report: &RunReport, logs: &[NodeLog], ctx: &str) {
    for (i, (r, log)) in report.nodes.iter().zip(logs).enumerate() {
        let ran = !log.attempts.is_empty();
        match r.status {
            NodeStatus::Skipped | NodeStatus::NotStarted => {
                assert!(!ran, "{ctx}: n{i} is {} but ran", r.status)
            }
            NodeStatus::Succeeded => {
                assert!(
                    log.ended_ok().is_some(),
                    "{ctx}: n{i} succeeded, journal {log:?}"
                );
                assert_eq!(
                    r.attempts as usize,
                    log.attempts.len(),
                    "{ctx}: n{i} attempts"
                );
            }
            NodeStatus::Failed => {
                assert!(
                    ran && log.ended_ok().is_none(),
                    "{ctx}: n{i} failed, journal {log:?}"
                );
                assert_eq!(
                    r.attempts as usize,
                    log.attempts.len(),
                    "{ctx}: n{i} attempts"
                );
            }
            // A node stopped before its fn ran (a spawned task tokio had not polled yet)
            // is skipped, not cancelled: a cancelled node ran.
            NodeStatus::Cancelled => {
                assert!(ran, "{ctx}: n{i} is cancelled but never ran");
                assert_eq!(
                    r.attempts as usize,
                    log.attempts.len(),
                    "{ctx}: n{i} cancelled, journal {log:?}"
                );
            }
            other => panic!("{ctx}: n{i} ended the run as {other}"),
        }
    }
}

/// Checks that `e` is the error the reference expects of node `i`.
pub fn check_node_error(e: &WorkflowError, i: usize, r: &RefNode, ctx: &str) {
    let name = format!("n{i}");
    assert_eq!(e.node(), Some(name.as_str()), "{ctx}: {e}");
    match (e, r.outcome) {
        (WorkflowError::NodeFailed { attempts, .. }, RefOutcome::Error { attempts: want }) => {
            assert_eq!(*attempts, want, "{ctx}: {e}");
            let s = e.downcast_ref::<Scripted>().expect("the node's own error");
            assert_eq!(s.node, i, "{ctx}");
            assert_eq!(s.attempt, want, "{ctx}");
        }
        (WorkflowError::NodePanicked { message, .. }, RefOutcome::Panic) => {
            assert_eq!(message, &format!("boom n{i}"), "{ctx}")
        }
        (
            WorkflowError::Timeout {
                scope: TimeoutScope::Node(_),
                limit,
                ..
            },
            RefOutcome::Timeout { limit_ms },
        ) => assert_eq!(*limit, Duration::from_millis(limit_ms), "{ctx}"),
        (e, want) => panic!("{ctx}: n{i} reported {e} but the reference says {want:?}"),
    }
}

/// A short description of a case, for assertion messages.
pub fn describe(shape: &ShapeSpec, behaviour: &[Behaviour]) -> String {
    let mut s = format!("{} ({} nodes):", shape.name, shape.nodes.len());
    for (i, n) in shape.nodes.iter().enumerate() {
        let b = behaviour.get(i).copied().unwrap_or(Behaviour::OK);
        s.push_str(&format!(
            "\n  n{i} <- {:?} timeout={:?} retry={:?} spawn={} | sleep={} {:?}",
            n.preds, n.timeout_ms, n.retry, n.spawn, b.sleep_ms, b.fault
        ));
    }
    s
}

/// Turns `run_shape`'s future into one that also keeps the script alive for checks.
pub fn run(
    index: usize,
    rt: &Runtime,
    script: &Arc<Script>,
    opts: RunOptions,
) -> impl Future<Output = (Result<Vec<(usize, u64)>, WorkflowError>, RunReport)> + Send {
    run_shape(index, rt, Arc::clone(script), opts).map(|r| r)
}

// ---------------------------------------------------------------------------------------
// Expected outcomes, for tests that run many cases at once.

/// A small deterministic random source (splitmix64).
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// What a fail-fast run must end with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    Ok(Vec<(usize, u64)>),
    /// A node error, from one of these nodes (they fail at the same instant).
    Node(Vec<usize>),
    WorkflowTimeout,
}

/// The outcome of a fail-fast run with workflow timeout `w` (ms) under the paused clock.
pub fn expect_paused(shape: &ShapeSpec, refs: &[RefNode], w: u64) -> Expect {
    let first_fail = refs
        .iter()
        .filter(|r| r.outcome.failed())
        .filter_map(|r| r.end)
        .min();
    let makespan = refs.iter().try_fold(0u64, |m, r| match r.outcome {
        RefOutcome::Hang => None,
        _ => Some(r.end.map_or(m, |e| m.max(e))),
    });
    match first_fail {
        Some(f) if f < w => Expect::Node(
            (0..refs.len())
                .filter(|&i| refs[i].outcome.failed() && refs[i].end == Some(f))
                .collect(),
        ),
        _ if makespan.is_none_or(|m| m > w) => Expect::WorkflowTimeout,
        _ => Expect::Ok(outputs_of(shape, refs)),
    }
}

/// The outcome of a fail-fast run whatever the timing, for scripts with at most one
/// faulty node and sleeps shorter than every timeout.
pub fn expect_any_timing(shape: &ShapeSpec, refs: &[RefNode]) -> Expect {
    let failed: Vec<usize> = (0..refs.len())
        .filter(|&i| refs[i].outcome.failed())
        .collect();
    if !failed.is_empty() {
        Expect::Node(failed)
    } else if refs.iter().any(|r| r.outcome == RefOutcome::Hang) {
        Expect::WorkflowTimeout
    } else {
        Expect::Ok(outputs_of(shape, refs))
    }
}

fn outputs_of(shape: &ShapeSpec, refs: &[RefNode]) -> Vec<(usize, u64)> {
    shape
        .outputs()
        .into_iter()
        .map(|i| match refs[i].outcome {
            RefOutcome::Ok(v) => (i, v),
            o => panic!("reference output n{i} ended {o:?}"),
        })
        .collect()
}

/// Checks a run's result against what was expected; returns the kind of outcome.
pub fn check_expected(
    result: &Result<Vec<(usize, u64)>, WorkflowError>,
    expect: &Expect,
    refs: &[RefNode],
    ctx: &str,
) -> &'static str {
    match (result, expect) {
        (Ok(outs), Expect::Ok(want)) => {
            assert_eq!(outs, want, "{ctx}: outputs");
            "ok"
        }
        (Err(e), Expect::Node(candidates)) => {
            let i: usize = e
                .node()
                .and_then(|n| n[1..].parse().ok())
                .unwrap_or_else(|| panic!("{ctx}: expected a node error, got {e}"));
            assert!(
                candidates.contains(&i),
                "{ctx}: n{i} reported, expected one of {candidates:?}: {e}"
            );
            check_node_error(e, i, &refs[i], ctx);
            match e {
                WorkflowError::NodeFailed { .. } => "failed",
                WorkflowError::NodePanicked { .. } => "panicked",
                _ => "node timeout",
            }
        }
        (
            Err(WorkflowError::Timeout {
                scope: TimeoutScope::Workflow,
                ..
            }),
            Expect::WorkflowTimeout,
        ) => "workflow timeout",
        (r, want) => panic!("{ctx}: expected {want:?}, got {r:?}"),
    }
}

/// A behaviour script with at most one fault, for runs checked with
/// [`expect_any_timing`]: sleeps of `0..=max_sleep_ms`.
pub fn one_fault_script(
    rng: &mut Rng,
    nodes: usize,
    fault_pct: u64,
    max_sleep_ms: u64,
) -> Vec<Behaviour> {
    let mut b: Vec<Behaviour> = (0..nodes)
        .map(|_| Behaviour {
            sleep_ms: rng.below(max_sleep_ms + 1),
            fault: Fault::None,
        })
        .collect();
    if rng.chance(fault_pct) {
        let i = rng.below(nodes as u64) as usize;
        b[i].fault = match rng.below(4) {
            0 => Fault::Fail {
                first: 1 + rng.below(3) as u32,
            },
            1 => Fault::Fail { first: u32::MAX },
            2 => Fault::Panic,
            _ => Fault::Hang,
        };
    }
    b
}
