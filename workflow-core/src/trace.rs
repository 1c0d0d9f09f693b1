//! The execution trace of a run: timestamped events on tokio's clock, and its
//! renderings (text, Chrome trace JSON, Mermaid Gantt).
//!
//! Tracing a run is opt-in ([`RunOptions::trace`](crate::RunOptions::trace) or
//! [`RuntimeBuilder::trace`](crate::RuntimeBuilder::trace)); a run without it records
//! nothing: every event site is one branch on an `Option` that is `None`, and the event
//! itself (with its strings) is never built.
//!
//! With the default `serde` feature, a trace (and each event) is `serde::Serialize`, so
//! it can be stored as JSON beside the test that recorded it; see the crate docs for the
//! format.
//!
//! This is separate from the [`tracing`](https://docs.rs/tracing) integration: the
//! executor always emits `tracing` spans (`workflow`, `node`) and events (retry,
//! timeout, failure, cancellation) under the target `workflow`, which cost next to
//! nothing and print nothing unless you install a subscriber.

mod chrome;
mod gantt;

use std::fmt::{self, Write as _};
use std::sync::Mutex;
use std::time::Duration;

use crate::error::NodeName;
use crate::sync::lock;

/// One event of a run.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TraceEvent {
    /// Time since the run started, on tokio's clock (exact under a paused clock).
    pub at: Duration,
    /// The node binding, or `None` for run-level events. A node of a sub-workflow or
    /// fan-out is named by its path: `report.layout`, `thumbs[3].img`.
    pub node: Option<NodeName>,
    /// What happened.
    pub kind: TraceKind,
}

/// What a [`TraceEvent`] records.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(tag = "type", rename_all = "snake_case"))]
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TraceKind {
    /// The run started.
    RunStarted,
    /// All inputs of the node were ready; it was queued to start.
    Scheduled,
    /// An attempt started.
    Started {
        /// The attempt number, from 1.
        attempt: u32,
    },
    /// An attempt failed and another one follows after `delay`.
    Retrying {
        /// The attempt that failed.
        attempt: u32,
        /// The backoff before the next attempt.
        delay: Duration,
        /// Why the attempt failed.
        error: String,
    },
    /// The node produced its output.
    Completed {
        /// Attempts it took.
        attempts: u32,
    },
    /// The node failed for good.
    Failed {
        /// Attempts it took.
        attempts: u32,
        /// Why.
        error: String,
    },
    /// The node was running when the run stopped, and was cancelled.
    Cancelled,
    /// The node was never started: something upstream failed, or the run stopped (a
    /// failure elsewhere under fail-fast, a timeout, a cancellation) before it started,
    /// even if it had been scheduled.
    Skipped,
    /// The node's output was restored from a durable run's store; it did not run.
    Restored,
    /// The node is in an arm of a `match` (or `if`) that the run did not take; it will
    /// not run. A merge's node (a binding defined in every arm) is named with its fn,
    /// as the report prints it (`r (halve)`), since the arm taken has a node of the
    /// same name that runs.
    NotTaken,
    /// The node is a merge's (a binding defined in every arm of a `match` or `if`) in
    /// the arm the run took, named as the report prints it (`r (halve #2)`), recorded
    /// when the decision was made. Its other events are under the binding's name (`r:
    /// started`); [`ExecutionTrace::node_events`] and the lookups on it (`kinds`,
    /// `attempts`, `attempt_spans`, ...) find them by the arm's name too.
    Taken,
    /// The node entered a tracked wait.
    Waiting {
        /// What it waits for.
        key: String,
    },
    /// A custom event from [`Context::emit`](crate::Context::emit).
    Custom {
        /// The message.
        message: String,
    },
    /// The run finished successfully.
    RunCompleted,
    /// The run failed.
    RunFailed {
        /// Why.
        error: String,
    },
}

impl TraceKind {
    /// A short lowercase name of the kind: `started`, `retrying`, `custom`, ...
    pub fn name(&self) -> &'static str {
        match self {
            Self::RunStarted => "run started",
            Self::Scheduled => "scheduled",
            Self::Started { .. } => "started",
            Self::Retrying { .. } => "retrying",
            Self::Completed { .. } => "completed",
            Self::Failed { .. } => "failed",
            Self::Cancelled => "cancelled",
            Self::Skipped => "skipped",
            Self::Restored => "restored",
            Self::NotTaken => "not taken",
            Self::Taken => "taken",
            Self::Waiting { .. } => "waiting",
            Self::Custom { .. } => "custom",
            Self::RunCompleted => "run completed",
            Self::RunFailed { .. } => "run failed",
        }
    }
}

impl fmt::Display for TraceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RunStarted => f.write_str("run started"),
            Self::Scheduled => f.write_str("scheduled"),
            Self::Started { attempt } => write!(f, "started (attempt {attempt})"),
            Self::Retrying {
                attempt,
                delay,
                error,
            } => write!(
                f,
                "attempt {attempt} failed: {error}; retrying in {delay:?}"
            ),
            Self::Completed { attempts } => write!(f, "completed after {attempts} attempt(s)"),
            Self::Failed { attempts, error } => {
                write!(f, "failed after {attempts} attempt(s): {error}")
            }
            Self::Cancelled => f.write_str("cancelled"),
            Self::Skipped => f.write_str("skipped"),
            Self::Restored => f.write_str("restored"),
            Self::NotTaken => f.write_str("not taken"),
            Self::Taken => f.write_str("taken"),
            Self::Waiting { key } => write!(f, "waiting for `{key}`"),
            Self::Custom { message } => write!(f, "event: {message}"),
            Self::RunCompleted => f.write_str("run completed"),
            Self::RunFailed { error } => write!(f, "run failed: {error}"),
        }
    }
}

impl fmt::Display for TraceEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:>12} ", format!("{:?}", self.at))?;
        match &self.node {
            Some(node) => write!(f, "{node}: {}", self.kind),
            None => write!(f, "{}", self.kind),
        }
    }
}

/// Collects the events of one run. Exists only when the run is traced.
#[derive(Debug)]
pub(crate) struct TraceRecorder {
    workflow: &'static str,
    run_id: u64,
    events: Mutex<Vec<TraceEvent>>,
}

impl TraceRecorder {
    pub(crate) fn new(workflow: &'static str, run_id: u64) -> Self {
        Self {
            workflow,
            run_id,
            events: Mutex::new(Vec::with_capacity(16)),
        }
    }

    pub(crate) fn push(&self, event: TraceEvent) {
        lock(&self.events).push(event);
    }

    pub(crate) fn snapshot(&self) -> ExecutionTrace {
        ExecutionTrace {
            workflow: self.workflow,
            run_id: self.run_id,
            events: lock(&self.events).clone(),
        }
    }
}

/// The events of one run, in the order they happened, with helpers to assert on them
/// and to render them.
///
/// Ask for one with [`RunOptions::trace`](crate::RunOptions::trace) (one run) or
/// [`RuntimeBuilder::trace`](crate::RuntimeBuilder::trace) (every run); it comes back in
/// [`Run::trace`](crate::Run::trace), and also with a failed run through
/// [`Runtime::execute_report`](crate::Runtime::execute_report).
///
/// Times are on tokio's clock, from the start of the run: under a paused clock
/// (`#[tokio::test(start_paused = true)]`) they are exact, so a test can assert
/// `started_at("b") == Some(Duration::from_millis(50))` and compare
/// [`render_text`](Self::render_text) with a snapshot.
///
/// Renderings and exports:
/// - [`render_text`](Self::render_text): one line per event, for snapshot tests;
/// - [`to_chrome_json`](Self::to_chrome_json): Chrome trace event JSON, for Perfetto
///   (<https://ui.perfetto.dev>) or `chrome://tracing`;
/// - [`to_mermaid_gantt`](Self::to_mermaid_gantt): a Mermaid Gantt chart, which GitHub
///   renders inside a ` ```mermaid ` block.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use workflow_core::prelude::*;
///
/// #[node]
/// async fn nap() -> u8 {
///     tokio::time::sleep(Duration::from_millis(250)).await;
///     1
/// }
///
/// workflow! {
///     struct Nap {
///         a = nap(),
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(async {
/// let run = Runtime::new()
///     .execute_with(Nap, NapInput {}, RunOptions::new().trace(true))
///     .await
///     .unwrap();
/// let trace = run.trace.unwrap();
/// assert_eq!(trace.finished_at("a"), Some(Duration::from_millis(250)));
/// let text = trace.render_text();
/// let lines: Vec<&str> = text.lines().map(str::trim).collect();
/// assert_eq!(
///     lines,
///     [
///         "0ns run started",
///         "0ns a: scheduled",
///         "0ns a: started (attempt 1)",
///         "250ms a: completed after 1 attempt(s)",
///         "250ms run completed",
///     ]
/// );
/// # });
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExecutionTrace {
    /// The workflow's name.
    pub workflow: &'static str,
    /// The run's id.
    pub run_id: u64,
    /// The events, in the order they happened.
    pub events: Vec<TraceEvent>,
}

impl ExecutionTrace {
    /// Number of events.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether no event was recorded.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Iterates over the events.
    pub fn iter(&self) -> std::slice::Iter<'_, TraceEvent> {
        self.events.iter()
    }

    /// The events of one node, by binding (or path, `thumbs[3].img`).
    ///
    /// A merge (a binding defined in every arm of a `match` or `if`) has a node per
    /// arm, which the report prints with its fn, `r (work)`, `r (halve)`, `r (work #2)`
    /// for a later arm calling the same fn: the trace names the arms not taken so
    /// (`r (halve): not taken`) and the arm taken too, once (`r (work #2): taken`),
    /// while that node's events are under the binding's name, `r`. So `r` and the arm
    /// taken's name both find them (the latter with its `taken` event first), and the
    /// name of an arm not taken finds its `not taken` event only.
    ///
    /// # Examples
    ///
    /// ```
    /// use workflow_core::prelude::*;
    /// use workflow_core::trace::TraceKind;
    ///
    /// #[node] async fn pick(n: u32) -> u32 { n % 3 }
    /// #[node] async fn work(n: u32) -> u32 { n * 2 }
    /// #[node] async fn halve(n: u32) -> u32 { n / 2 }
    ///
    /// workflow! {
    ///     struct Three {
    ///         input n: u32,
    ///         p = pick(n),
    ///         match p {
    ///             0 => { r = work(n), }
    ///             1 => { r = halve(n), }
    ///             _ => { r = work(n: p), }
    ///         }
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let run = Runtime::new()
    ///     .execute_with(Three, ThreeInput { n: 5 }, RunOptions::new().trace(true))
    ///     .await
    ///     .unwrap();
    /// let trace = run.trace.unwrap();
    /// // The third arm ran: `r (work #2)` in the report.
    /// assert_eq!(run.report.node("r (work #2)").unwrap().status, NodeStatus::Succeeded);
    /// assert_eq!(trace.attempts("r"), 1);
    /// assert_eq!(trace.attempts("r (work #2)"), 1);
    /// assert_eq!(trace.kinds("r (work #2)")[0], &TraceKind::Taken);
    /// assert_eq!(trace.kinds("r (halve)"), [&TraceKind::NotTaken]);
    /// assert_eq!(trace.attempts("r (work)"), 0);
    /// # });
    /// ```
    pub fn node_events<'a>(&'a self, node: &'a str) -> impl Iterator<Item = &'a TraceEvent> + 'a {
        let binding = self.taken_arm_binding(node);
        self.events.iter().filter(move |e| {
            let name = e.node.as_deref();
            name == Some(node) || (binding.is_some() && name == binding)
        })
    }

    /// When `node` names a merge's arm that the run took (`r (work #2)`, with its
    /// `taken` event), the binding its events are under (`r`).
    fn taken_arm_binding<'a>(&self, node: &'a str) -> Option<&'a str> {
        let (binding, _) = node.strip_suffix(')')?.split_once(" (")?;
        self.events
            .iter()
            .any(|e| e.kind == TraceKind::Taken && e.node.as_deref() == Some(node))
            .then_some(binding)
    }

    /// The merges' arms the run took, each as (binding, arm's name): (`r`, `r (work #2)`).
    /// The arm's events are under the binding; the Gantt chart and the Chrome trace show
    /// the binding's section or row under the arm's name, as the report prints it.
    fn taken_arms(&self) -> Vec<(&str, &str)> {
        self.events
            .iter()
            .filter(|e| e.kind == TraceKind::Taken)
            .filter_map(|e| {
                let arm = e.node.as_deref()?;
                let (binding, _) = arm.strip_suffix(')')?.split_once(" (")?;
                Some((binding, arm))
            })
            .collect()
    }

    /// Whether a span of node `span` is one of `node`'s (by binding, path, or the name
    /// of a merge's arm taken, as [`node_events`](Self::node_events) finds them).
    fn is_of(span: &AttemptSpan, node: &str, binding: Option<&str>) -> bool {
        span.node == node || binding.is_some_and(|b| span.node == b)
    }

    /// What happened to one node, in order.
    pub fn kinds<'a>(&'a self, node: &'a str) -> Vec<&'a TraceKind> {
        self.node_events(node).map(|e| &e.kind).collect()
    }

    /// When the node's first attempt started, or `None` if it never started.
    pub fn started_at(&self, node: &str) -> Option<Duration> {
        self.node_events(node)
            .find(|e| matches!(e.kind, TraceKind::Started { .. }))
            .map(|e| e.at)
    }

    /// When the node ended for good (completed, failed or was cancelled), or `None`.
    pub fn finished_at(&self, node: &str) -> Option<Duration> {
        self.node_events(node)
            .find(|e| {
                matches!(
                    e.kind,
                    TraceKind::Completed { .. } | TraceKind::Failed { .. } | TraceKind::Cancelled
                )
            })
            .map(|e| e.at)
    }

    /// How many attempts of the node started.
    pub fn attempts(&self, node: &str) -> u32 {
        let n = self
            .node_events(node)
            .filter(|e| matches!(e.kind, TraceKind::Started { .. }))
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// The custom events ([`Context::emit`](crate::Context::emit)) of one node, in order.
    pub fn messages(&self, node: &str) -> Vec<&str> {
        let binding = self.taken_arm_binding(node);
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                TraceKind::Custom { message }
                    if e.node.as_deref() == Some(node)
                        || (binding.is_some() && e.node.as_deref() == binding) =>
                {
                    Some(message.as_str())
                }
                _ => None,
            })
            .collect()
    }

    /// Nodes in the order their first attempt started.
    pub fn start_order(&self) -> Vec<&str> {
        self.events
            .iter()
            .filter(|e| matches!(e.kind, TraceKind::Started { attempt: 1 }))
            .filter_map(|e| e.node.as_deref())
            .collect()
    }

    /// Whether some attempt of `a` and some attempt of `b` were running at the same
    /// time (their spans overlap by more than an instant).
    pub fn overlapped(&self, a: &str, b: &str) -> bool {
        let spans = self.all_attempt_spans();
        let (a_binding, b_binding) = (self.taken_arm_binding(a), self.taken_arm_binding(b));
        spans
            .iter()
            .filter(|s| Self::is_of(s, a, a_binding))
            .any(|x| {
                spans
                    .iter()
                    .filter(|s| Self::is_of(s, b, b_binding))
                    .any(|y| x.start < y.end && y.start < x.end)
            })
    }

    /// Time of the last event: the run's duration once it ended.
    pub fn duration(&self) -> Duration {
        self.events.last().map_or(Duration::ZERO, |e| e.at)
    }

    /// One line per event: time, node, what happened. Deterministic under a paused clock,
    /// so it suits snapshot tests.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        for e in &self.events {
            let _ = writeln!(out, "{e}");
        }
        out
    }

    /// The attempts of one node as time spans, in order: like
    /// [`attempts`](Self::attempts) and [`started_at`](Self::started_at), by binding
    /// (or path, `thumbs[3].img`, or a merge's arm taken by its name, `r (work #2)`, see
    /// [`node_events`](Self::node_events)). [`all_attempt_spans`](Self::all_attempt_spans) gives
    /// every node's.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use workflow_core::prelude::*;
    /// #[derive(Debug, thiserror::Error)]
    /// #[error("busy")]
    /// struct Busy;
    ///
    /// #[node(retry(max = 2, backoff = "5ms"))]
    /// async fn flaky(ctx: &Context) -> Result<u8, Busy> {
    ///     tokio::time::sleep(Duration::from_millis(10)).await;
    ///     if ctx.attempt() == 1 { Err(Busy) } else { Ok(1) }
    /// }
    /// workflow! { struct Flaky { a = flaky() } }
    /// # tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(async {
    /// let run = Runtime::new()
    ///     .execute_with(Flaky, FlakyInput {}, RunOptions::new().trace(true))
    ///     .await
    ///     .unwrap();
    /// let spans = run.trace.unwrap().attempt_spans("a");
    /// let ms = Duration::from_millis;
    /// assert_eq!((spans[0].start, spans[0].end, spans[0].outcome), (ms(0), ms(10), SpanOutcome::Failed));
    /// assert_eq!((spans[1].start, spans[1].end, spans[1].outcome), (ms(15), ms(25), SpanOutcome::Completed));
    /// # });
    /// ```
    pub fn attempt_spans(&self, node: &str) -> Vec<AttemptSpan> {
        let mut spans = self.all_attempt_spans();
        let binding = self.taken_arm_binding(node);
        spans.retain(|s| Self::is_of(s, node, binding));
        spans
    }

    /// Every node's attempts as time spans, in start order (ties broken by node name and
    /// attempt). An attempt ends when it completes, fails (and is retried or not) or is
    /// cancelled; one that had not ended when the trace was taken is
    /// [`SpanOutcome::Running`] with `end == start`.
    pub fn all_attempt_spans(&self) -> Vec<AttemptSpan> {
        let mut open: Vec<AttemptSpan> = Vec::new();
        let mut done: Vec<AttemptSpan> = Vec::new();
        for e in &self.events {
            let Some(node) = &e.node else { continue };
            let outcome = match &e.kind {
                TraceKind::Started { attempt } => {
                    open.push(AttemptSpan {
                        node: node.clone(),
                        attempt: *attempt,
                        start: e.at,
                        end: e.at,
                        outcome: SpanOutcome::Running,
                    });
                    continue;
                }
                TraceKind::Completed { .. } => SpanOutcome::Completed,
                TraceKind::Cancelled => SpanOutcome::Cancelled,
                TraceKind::Retrying { .. } | TraceKind::Failed { .. } => SpanOutcome::Failed,
                _ => continue,
            };
            if let Some(pos) = open.iter().position(|s| s.node == *node) {
                let mut span = open.remove(pos);
                span.end = e.at;
                span.outcome = outcome;
                done.push(span);
            }
        }
        done.extend(open);
        done.sort_by(|a, b| (a.start, &a.node, a.attempt).cmp(&(b.start, &b.node, b.attempt)));
        done
    }

    /// The trace in the Chrome trace event format (JSON), to open in Perfetto
    /// (<https://ui.perfetto.dev>) or `chrome://tracing`.
    ///
    /// Each node gets a row of its own (in order of first appearance), a merge's arm
    /// taken named as the report prints it (`r (halve)`); the run gets row 0.
    /// `otherData` has the workflow, the run id and, for a `workflow-test` harness's run,
    /// its [`harness_number`](Self::harness_number). Every node attempt is one complete (`"ph":"X"`) event named after the
    /// node, with `attempt` and `outcome` in its `args`; the run itself is one more
    /// complete event (`"cat":"run"`). Every other event (scheduled, retrying, failed,
    /// cancelled, skipped, waiting, custom, run started/ended) is an instant
    /// (`"ph":"i"`) event on its node's row. Times are microseconds with nanosecond
    /// decimals, so the output is deterministic under a paused clock.
    ///
    /// # Examples
    ///
    /// ```
    /// # use workflow_core::prelude::*;
    /// # #[node] async fn one() -> u8 { 1 }
    /// # workflow! { struct One { a = one() } }
    /// # tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(async {
    /// let run = Runtime::new()
    ///     .execute_with(One, OneInput {}, RunOptions::new().trace(true))
    ///     .await
    ///     .unwrap();
    /// let json = run.trace.unwrap().to_chrome_json();
    /// assert!(json.starts_with(r#"{"displayTimeUnit":"ms""#));
    /// // std::fs::write("target/trace.json", json)?;  then open it in ui.perfetto.dev
    /// # });
    /// ```
    pub fn to_chrome_json(&self) -> String {
        chrome::render(self)
    }

    /// The trace as a Mermaid Gantt chart: one section per node, one bar per attempt
    /// (`done` when it completed, `crit` when it failed, `active` when it was cancelled
    /// or still running), on a millisecond axis starting at 0. GitHub renders it inside
    /// a ` ```mermaid ` block.
    ///
    /// A merge's arm taken (a binding defined in every arm of a `match`) is drawn under
    /// the name the report prints for it, `r (halve)`, and the arms not taken as
    /// milestones, `r (work, not taken)`; `#` is not allowed in a task, so a later arm
    /// calling the same fn, `r (work #2)`, is `r (work no. 2)`.
    ///
    /// Its title names the workflow and the run, `Etl (run 1025)` by the run's id, or
    /// for a `workflow-test` harness's run by both its numbers, `Etl (run 1, id 1025)`
    /// (see [`harness_number`](Self::harness_number)).
    ///
    /// Mermaid's Gantt charts have millisecond resolution: times are rounded down to
    /// whole milliseconds.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use workflow_core::prelude::*;
    /// #[node]
    /// async fn nap() -> u8 {
    ///     tokio::time::sleep(Duration::from_millis(40)).await;
    ///     1
    /// }
    /// workflow! { struct Nap { a = nap() } }
    /// # tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(async {
    /// let run = Runtime::new()
    ///     .execute_with(Nap, NapInput {}, RunOptions::new().trace(true))
    ///     .await
    ///     .unwrap();
    /// let gantt = run.trace.unwrap().to_mermaid_gantt();
    /// assert!(gantt.starts_with("gantt\n"));
    /// assert!(gantt.contains("    a :done, 0, 40\n"));
    /// # });
    /// ```
    pub fn to_mermaid_gantt(&self) -> String {
        gantt::render(self)
    }

    /// The run's number in the `workflow-test` harness that ran it (`run 1`, as the
    /// harness's messages and `RunReport::harness_number` say), `None` for a run of no
    /// harness. The Gantt chart's title and the Chrome trace's process name then say
    /// both numbers, `Etl (run 1, id 1025)`, as the run's report says ``run 1 (id 1025)
    /// of `Etl` ``.
    ///
    /// Not a field (a trace stays 48 bytes, so a `Run` stays small enough to be moved
    /// inline): the harness notes its runs' numbers by run id, which is unique in the
    /// process, and the last 4,096 of them are kept.
    pub fn harness_number(&self) -> Option<u64> {
        harness_number(self.run_id)
    }

    /// The run as the Gantt chart's title and the Chrome trace's process name say it:
    /// `Etl (run 1025)`, or under a harness `Etl (run 1, id 1025)`.
    fn title(&self) -> String {
        match self.harness_number() {
            Some(n) => format!("{} (run {n}, id {})", self.workflow, self.run_id),
            None => format!("{} (run {})", self.workflow, self.run_id),
        }
    }
}

/// How many harness numbers [`note_harness_number`] keeps (the harness keeps the records
/// of its last 1,000 runs).
const HARNESS_NUMBERS: usize = 4096;

/// The numbers `workflow-test` harnesses gave their runs, by run id, the newest last.
/// Allocated once, on first use; full, the oldest gives way.
static NUMBERS: Mutex<std::collections::VecDeque<(u64, u64)>> =
    Mutex::new(std::collections::VecDeque::new());

/// Notes that run `run_id` is run `number` of a `workflow-test` harness, for
/// [`ExecutionTrace::harness_number`]: called by the harness as it records the run.
#[doc(hidden)]
pub fn note_harness_number(run_id: u64, number: u64) {
    let mut numbers = lock(&NUMBERS);
    if numbers.capacity() == 0 {
        numbers.reserve_exact(HARNESS_NUMBERS);
    }
    if numbers.len() == HARNESS_NUMBERS {
        numbers.pop_front();
    }
    numbers.push_back((run_id, number));
}

/// The number a harness noted for run `run_id`.
fn harness_number(run_id: u64) -> Option<u64> {
    lock(&NUMBERS)
        .iter()
        .rev()
        .find(|&&(id, _)| id == run_id)
        .map(|&(_, n)| n)
}

/// The fields as they read, and [`harness_number`](ExecutionTrace::harness_number) (not
/// a field) only for a run a `workflow-test` harness numbered: `{"workflow":"Etl",
/// "run_id":1025,"harness_number":1,"events":[..]}`, as the run's report's JSON has it,
/// so that a trace kept as JSON is matched with the harness's messages (``run 1 of `Etl` ``).
#[cfg(feature = "serde")]
impl serde::Serialize for ExecutionTrace {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        let harness_number = self.harness_number();
        let fields = 3 + usize::from(harness_number.is_some());
        let mut s = serializer.serialize_struct("ExecutionTrace", fields)?;
        s.serialize_field("workflow", self.workflow)?;
        s.serialize_field("run_id", &self.run_id)?;
        match harness_number {
            Some(n) => s.serialize_field("harness_number", &n)?,
            None => s.skip_field("harness_number")?,
        }
        s.serialize_field("events", &self.events)?;
        s.end()
    }
}

impl<'a> IntoIterator for &'a ExecutionTrace {
    type Item = &'a TraceEvent;
    type IntoIter = std::slice::Iter<'a, TraceEvent>;
    fn into_iter(self) -> Self::IntoIter {
        self.events.iter()
    }
}

impl fmt::Display for ExecutionTrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render_text())
    }
}

/// One attempt of one node, as a time span.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AttemptSpan {
    /// The node binding (a path such as `thumbs[3].img` inside a fan-out).
    pub node: NodeName,
    /// The attempt number.
    pub attempt: u32,
    /// When it started.
    pub start: Duration,
    /// When it ended (equal to `start` if it never ended).
    pub end: Duration,
    /// How it ended.
    pub outcome: SpanOutcome,
}

impl AttemptSpan {
    /// How long the attempt ran.
    pub fn duration(&self) -> Duration {
        self.end.saturating_sub(self.start)
    }
}

/// How an [`AttemptSpan`] ended.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpanOutcome {
    /// Produced the output (the attempt of a node whose status is
    /// [`NodeStatus::Succeeded`](crate::NodeStatus::Succeeded)).
    Completed,
    /// Returned an error, panicked or timed out (there is no `TimedOut`: a timed-out
    /// attempt is `Failed`, and its trace event, [`TraceKind::Retrying`] or
    /// [`TraceKind::Failed`], says `timed out after ..`).
    #[doc(alias = "TimedOut")]
    #[doc(alias = "Timeout")]
    Failed,
    /// Was cancelled.
    Cancelled,
    /// Had not ended when the trace was taken.
    Running,
}

impl SpanOutcome {
    /// [`Completed`](Self::Completed) under the name [`NodeStatus`](crate::NodeStatus)
    /// gives the same ending, for code that compares both (it works in patterns too).
    ///
    /// ```
    /// use workflow_core::trace::SpanOutcome;
    ///
    /// assert_eq!(SpanOutcome::Succeeded, SpanOutcome::Completed);
    /// assert!(matches!(SpanOutcome::Completed, SpanOutcome::Succeeded));
    /// ```
    #[allow(non_upper_case_globals)]
    pub const Succeeded: SpanOutcome = SpanOutcome::Completed;

    /// A lowercase name: `completed`, `failed`, `cancelled`, `running`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::Running => "running",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The harness numbers' table keeps the last [`HARNESS_NUMBERS`] runs and stays that
    /// big: a harness running for ever (a load test) does not grow it.
    #[test]
    fn harness_numbers_are_kept_for_the_last_runs_only() {
        // Ids no runtime of this process gives (they count up from 1).
        let base = u64::MAX - 2 * HARNESS_NUMBERS as u64;
        let n = HARNESS_NUMBERS as u64;
        for i in 0..=n {
            note_harness_number(base + i, i + 1);
        }
        assert_eq!(harness_number(base), None, "the oldest gave way");
        assert_eq!(harness_number(base + 1), Some(2));
        assert_eq!(harness_number(base + n), Some(n + 1));
        let capacity = lock(&NUMBERS).capacity();
        for i in 0..n {
            note_harness_number(base + n + 1 + i, i);
        }
        assert_eq!(lock(&NUMBERS).capacity(), capacity);
        assert_eq!(lock(&NUMBERS).len(), HARNESS_NUMBERS);
        assert_eq!(harness_number(base + n), None);
        let trace = ExecutionTrace {
            workflow: "Etl",
            run_id: base + 2 * n,
            events: Vec::new(),
        };
        assert_eq!(trace.harness_number(), Some(n - 1));
        assert!(trace.to_mermaid_gantt().contains(&format!(
            "    title Etl (run {}, id {})\n",
            n - 1,
            base + 2 * n
        )));
    }
}
