//! What `#[workflow_test]` expands to: the body runs on its own thread and tokio
//! runtime, watched from the test's thread.
//!
//! - The test thread is the timeout watchdog: it waits for the body with a real-time
//!   limit, so the timeout fires even when the body blocks its thread. On expiry it
//!   prints every run of every harness of the test (node states, trace so far), tells
//!   the body's runtime to stop (it shuts down in the background) and fails.
//! - The stall (deadlock) watchdog compares pictures of the live runs: when no node of
//!   any run changed state for the limit while nodes are pending, the test fails with a
//!   deadlock report (a node waiting out a retry's backoff is not stalled: its next
//!   attempt is scheduled). It runs inside the test's runtime on tokio's clock (so under
//!   `start_paused` a true deadlock is reported at once: tokio auto-advances its paused
//!   clock when everything is idle) and, with a real clock, also on the test thread (so
//!   it fires even when the body blocks its thread).
//! - A panic of the body is re-raised on the test thread as it was (same payload), so
//!   assertion messages and `#[should_panic(expected = ..)]` keep working.

use std::any::Any;
use std::cell::RefCell;
use std::collections::hash_map::DefaultHasher;
use std::collections::HashSet;
use std::fmt::Write as _;
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::panic::AssertUnwindSafe;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use workflow_core::{NodeStatus, RunSnapshot};

use crate::harness::{lock, write_runs, Harness, Inner};
use crate::memory::{enter_slot, SlotGuard};
use crate::record::write_snapshot;

/// The options of one `#[workflow_test]`.
#[derive(Debug, Clone)]
#[doc(hidden)]
pub struct Config {
    /// `module::path::test_name`.
    pub name: &'static str,
    /// Real-time limit for the whole test.
    pub timeout: Option<Duration>,
    /// Stall limit: no node progressed for this long while nodes are pending.
    pub deadlock: Option<Duration>,
    /// The runtime flavor.
    pub flavor: Flavor,
    /// Worker threads of the multi-thread flavor.
    pub workers: Option<usize>,
    /// Starts tokio's clock paused.
    pub start_paused: bool,
}

/// The tokio runtime flavor of a `#[workflow_test]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[doc(hidden)]
pub enum Flavor {
    /// One thread: the body's.
    CurrentThread,
    /// A worker pool.
    MultiThread,
}

/// What the body of a `#[workflow_test]` may return: `()` or `Result<T, E: Debug>`
/// (a returned `Err` fails the test, printed with `Debug`). Implemented for those two;
/// named in the compile error when a test returns something else.
#[diagnostic::on_unimplemented(
    message = "a `#[workflow_test]` fn must return `()` or `Result<T, E>` with `E: Debug`, not `{Self}`",
    label = "unsupported return type"
)]
pub trait TestOutput {
    /// `Err(message)` when the test failed by returning an error.
    #[doc(hidden)]
    fn into_outcome(self) -> Result<(), String>;
}

impl TestOutput for () {
    fn into_outcome(self) -> Result<(), String> {
        Ok(())
    }
}

impl<T, E: std::fmt::Debug> TestOutput for Result<T, E> {
    fn into_outcome(self) -> Result<(), String> {
        self.map(|_| ())
            .map_err(|e| format!("the test returned an error: {e:?}"))
    }
}

/// The harnesses of the running test, for the watchdogs.
#[derive(Default)]
pub(crate) struct TestContext {
    harnesses: Mutex<Vec<Weak<Inner>>>,
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<TestContext>>> = const { RefCell::new(None) };
}

fn set_current(ctx: &Arc<TestContext>) {
    CURRENT.with(|c| *c.borrow_mut() = Some(Arc::clone(ctx)));
}

/// Makes a new harness visible to the watchdogs of the test running on this thread.
pub(crate) fn register(h: &Harness) {
    let ctx = CURRENT.with(|c| c.borrow().clone());
    if let Some(ctx) = ctx {
        let mut list = lock(&ctx.harnesses);
        list.retain(|w| w.strong_count() > 0);
        list.push(Arc::downgrade(&h.inner));
    }
}

impl TestContext {
    fn harnesses(&self) -> Vec<Arc<Inner>> {
        lock(&self.harnesses)
            .iter()
            .filter_map(Weak::upgrade)
            .collect()
    }

    /// Pictures of the runs still in flight (or whose state is still held), each with
    /// its number in its harness.
    fn live_snapshots(&self) -> Vec<(u64, RunSnapshot)> {
        let mut out = Vec::new();
        for h in self.harnesses() {
            out.extend(h.numbered_snapshots());
        }
        out
    }

    /// Every run of every harness: finished ones, then live ones.
    fn describe(&self) -> String {
        let harnesses = self.harnesses();
        if harnesses.is_empty() {
            return "no `Harness` was created in this test, so no workflow run can be shown; \
                    run workflows through the injected `h: Harness` to see them here\n"
                .into();
        }
        let mut out = String::new();
        for (i, h) in harnesses.iter().enumerate() {
            if harnesses.len() > 1 {
                let _ = writeln!(out, "harness #{}:", i + 1);
            }
            write_runs(&mut out, &lock(&h.state));
            let live = h.numbered_snapshots();
            let _ = writeln!(out, "runs in flight: {}", live.len());
            for (number, s) in &live {
                write_snapshot(&mut out, *number, s);
            }
        }
        out
    }
}

/// Detects "no node of any run progressed for the limit while nodes are pending".
#[derive(Default)]
struct StallTracker {
    fingerprint: Option<u64>,
    since: Duration,
}

impl StallTracker {
    /// Looks at the runs at time `now`; returns a report when stalled for `limit`.
    ///
    /// A run's nodes and the nodes of its child runs in flight (fan-out items,
    /// sub-workflows, by path) are looked at alike: an item or a sub-workflow's node that
    /// finishes is progress even when tracing is off, and a stall names the nodes that
    /// are stuck (`items[2].x`), not the fan-out or sub-workflow node around them.
    fn check(&mut self, ctx: &TestContext, now: Duration, limit: Duration) -> Option<String> {
        let snaps = ctx.live_snapshots();
        let pending: usize = snaps
            .iter()
            .flat_map(|(_, s)| innermost(s))
            .filter(|n| matches!(n.status, NodeStatus::Running | NodeStatus::NotStarted))
            .count();
        let mut hasher = DefaultHasher::new();
        for (_, s) in &snaps {
            s.run_id.hash(&mut hasher);
            for n in all_nodes(s) {
                n.name.hash(&mut hasher);
                n.status.hash(&mut hasher);
                n.waits_for.hash(&mut hasher);
            }
            s.trace.as_ref().map(|t| t.len()).hash(&mut hasher);
        }
        let fp = hasher.finish();
        // A node waiting out a retry's backoff has its next attempt scheduled: not a
        // stall (the limit counts from the end of the wait, give or take a tick).
        let retrying = snaps.iter().any(|(_, s)| !s.retrying.is_empty());
        if pending == 0 || retrying || self.fingerprint != Some(fp) {
            self.fingerprint = Some(fp);
            self.since = now;
            return None;
        }
        if now.saturating_sub(self.since) < limit {
            return None;
        }
        let mut out = format!(
            "deadlock: no node of any workflow run made progress for {limit:?} while {pending} node(s) were pending\n"
        );
        for (number, s) in &snaps {
            let stuck: Vec<String> = innermost(s)
                .filter(|n| n.status == NodeStatus::Running)
                .map(|n| match n.waits_for {
                    Some(key) => format!("`{}` waits for `{key}`", n.name),
                    None => format!("`{}` is running (not in a tracked wait)", n.name),
                })
                .collect();
            if !stuck.is_empty() {
                let _ = writeln!(
                    out,
                    "run {number} of `{}`: {}",
                    s.workflow,
                    stuck.join(", ")
                );
            }
        }
        out.push('\n');
        for (number, s) in &snaps {
            write_snapshot(&mut out, *number, s);
        }
        Some(out)
    }
}

/// A node of a run snapshot: one of the run's own, or of a child run in flight (by path).
pub(crate) struct SnapNode<'a> {
    pub(crate) name: &'a str,
    pub(crate) status: NodeStatus,
    pub(crate) waits_for: Option<&'a str>,
}

/// The run's own nodes, then the nodes of its child runs in flight.
fn all_nodes(s: &RunSnapshot) -> impl Iterator<Item = SnapNode<'_>> + '_ {
    let own = s.nodes.iter().map(|n| SnapNode {
        name: n.name,
        status: n.status,
        waits_for: n.waits_for.as_deref(),
    });
    let children = s.children.iter().map(|n| SnapNode {
        name: &n.name,
        status: n.status,
        waits_for: n.waits_for.as_deref(),
    });
    own.chain(children)
}

/// The nodes of `all_nodes` but a fan-out or sub-workflow node whose child runs' nodes
/// are listed (`items` when `items[2].x` is): what is stuck is inside it.
pub(crate) fn innermost(s: &RunSnapshot) -> impl Iterator<Item = SnapNode<'_>> + '_ {
    // Every path's enclosing paths (`items` and `items[2]` of `items[2].x`), collected
    // once so a fan-out of thousands of items is not compared pairwise on every tick.
    let enclosing: HashSet<&str> = all_nodes(s)
        .flat_map(|n| {
            let name = n.name;
            name.match_indices(['.', '['])
                .map(move |(at, _)| &name[..at])
        })
        .collect();
    all_nodes(s).filter(move |n| !enclosing.contains(n.name))
}

enum Msg {
    /// The body finished: `Ok(outcome)` or its panic payload.
    Done(std::thread::Result<Option<Result<(), String>>>),
    /// The in-runtime stall watchdog fired.
    Deadlock(String),
}

/// Runs a `#[workflow_test]` body. Called by the generated `#[test]` fn.
///
/// # Panics
///
/// When the body panics (re-raised as it was), returns an error, times out or
/// deadlocks.
#[doc(hidden)]
#[track_caller]
pub fn run<F, Fut>(config: Config, body: F)
where
    F: FnOnce(Harness) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), String>>,
{
    let ctx = Arc::new(TestContext::default());
    // The test's threads count their allocations separately from other tests'.
    let slot = SlotGuard::claim();
    let slot_index = slot.as_ref().map(SlotGuard::id);
    let (tx, rx) = mpsc::channel::<Msg>();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let thread_name = std::thread::current()
        .name()
        .unwrap_or(config.name)
        .to_owned();
    let body_ctx = Arc::clone(&ctx);
    let body_config = config.clone();
    let spawned = std::thread::Builder::new()
        .name(thread_name)
        .spawn(move || run_body(body_config, body_ctx, slot_index, body, tx, stop_rx));
    if let Err(e) = spawned {
        panic!("`#[workflow_test]` could not start the test's thread: {e}");
    }
    match watch(&config, &ctx, &rx, stop_tx) {
        Ok(()) => {}
        Err(Failure::Panic(payload)) => resume(payload),
        Err(Failure::Message(message)) => panic!("{message}"),
        Err(Failure::Abandoned(message)) => {
            // The body may still run on its thread: keep its allocation slot out of
            // reuse by later tests.
            if let Some(slot) = slot {
                slot.leak();
            }
            panic!("{message}")
        }
    }
}

/// How a test failed, for [`run`] to report.
enum Failure {
    /// The body panicked: re-raised as is.
    Panic(Box<dyn Any + Send>),
    /// The body finished with an error.
    Message(String),
    /// A watchdog gave up on the body, which may still be running.
    Abandoned(String),
}

fn run_body<F, Fut>(
    config: Config,
    ctx: Arc<TestContext>,
    slot: Option<(usize, usize)>,
    body: F,
    tx: mpsc::Sender<Msg>,
    stop: tokio::sync::oneshot::Receiver<()>,
) where
    F: FnOnce(Harness) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), String>>,
{
    set_current(&ctx);
    if let Some(slot) = slot {
        enter_slot(slot);
    }
    let mut builder = match config.flavor {
        Flavor::CurrentThread => tokio::runtime::Builder::new_current_thread(),
        Flavor::MultiThread => tokio::runtime::Builder::new_multi_thread(),
    };
    if let Some(n) = config.workers {
        builder.worker_threads(n);
    }
    let worker_ctx = Arc::clone(&ctx);
    builder
        .enable_all()
        .start_paused(config.start_paused)
        .on_thread_start(move || {
            set_current(&worker_ctx);
            if let Some(slot) = slot {
                enter_slot(slot);
            }
        });
    let rt = match builder.build() {
        Ok(rt) => rt,
        Err(e) => {
            let _ = tx.send(Msg::Done(Ok(Some(Err(format!(
                "`#[workflow_test]` could not build the tokio runtime: {e}"
            ))))));
            return;
        }
    };
    // The in-runtime stall watchdog: tokio's clock, paused or not.
    let watchdog = config.deadlock.map(|limit| {
        let ctx = Arc::clone(&ctx);
        let tx = tx.clone();
        async move {
            let start = tokio::time::Instant::now();
            let tick = (limit / 4).max(Duration::from_millis(1));
            let mut tracker = StallTracker::default();
            loop {
                tokio::time::sleep(tick).await;
                if let Some(report) = tracker.check(&ctx, start.elapsed(), limit) {
                    let _ = tx.send(Msg::Deadlock(report));
                    return;
                }
            }
        }
    });
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
        rt.block_on(async move {
            let harness = Harness::new();
            let body = body(harness);
            let watchdog = async move {
                match watchdog {
                    Some(w) => w.await,
                    None => std::future::pending().await,
                }
                // Reported; wait to be stopped.
                std::future::pending::<()>().await;
            };
            tokio::select! {
                biased;
                out = body => Some(out),
                _ = stop => None,
                () = watchdog => None,
            }
        })
    }));
    // Do not wait for tasks the test left behind (a blocking task could hang us).
    rt.shutdown_background();
    let _ = tx.send(Msg::Done(outcome));
}

/// The test thread: waits for the body, enforcing the timeout and (with a real clock)
/// the stall limit.
fn watch(
    config: &Config,
    ctx: &Arc<TestContext>,
    rx: &mpsc::Receiver<Msg>,
    stop: tokio::sync::oneshot::Sender<()>,
) -> Result<(), Failure> {
    let start = std::time::Instant::now();
    let tick = config
        .deadlock
        .map_or(Duration::from_millis(50), |d| {
            (d / 4).max(Duration::from_millis(1))
        })
        .min(Duration::from_millis(50));
    let mut stall = StallTracker::default();
    let real_clock_stall = config.deadlock.filter(|_| !config.start_paused);
    loop {
        let msg = if config.timeout.is_none() && real_clock_stall.is_none() {
            rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected)
        } else {
            let wait = match config.timeout {
                Some(t) => t.saturating_sub(start.elapsed()).min(tick),
                None => tick,
            };
            rx.recv_timeout(wait)
        };
        match msg {
            Ok(Msg::Done(Ok(Some(Ok(()))))) => return Ok(()),
            Ok(Msg::Done(Ok(Some(Err(message))))) => return Err(Failure::Message(message)),
            Ok(Msg::Done(Ok(None))) => {
                return Err(Failure::Message(format!(
                    "test `{}` was stopped by its watchdog",
                    config.name
                )))
            }
            Ok(Msg::Done(Err(payload))) => return Err(Failure::Panic(payload)),
            Ok(Msg::Deadlock(report)) => {
                let _ = stop.send(());
                return Err(Failure::Abandoned(format!(
                    "test `{}` failed: {report}",
                    config.name
                )));
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(Failure::Message(format!(
                    "the thread of test `{}` ended without a result",
                    config.name
                )))
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        let elapsed = start.elapsed();
        if let Some(limit) = config.timeout {
            if elapsed >= limit {
                let report = ctx.describe();
                let _ = stop.send(());
                return Err(Failure::Abandoned(format!(
                    "test `{}` timed out after {limit:?} (the body was still running; its runtime is being shut down in the background)\n\n{report}",
                    config.name
                )));
            }
        }
        if let Some(limit) = real_clock_stall {
            if let Some(report) = stall.check(ctx, elapsed, limit) {
                let _ = stop.send(());
                return Err(Failure::Abandoned(format!(
                    "test `{}` failed: {report}",
                    config.name
                )));
            }
        }
    }
}

fn resume(payload: Box<dyn Any + Send>) -> ! {
    std::panic::resume_unwind(payload)
}
