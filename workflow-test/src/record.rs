//! [`RunRecord`]: what the harness keeps of every run, and how it prints.

use std::fmt::{self, Write as _};

use workflow_core::trace::TraceKind;
use workflow_core::{ExecutionTrace, NodeStatus, RunReport, RunSnapshot};

/// One run executed through a [`Harness`](crate::Harness): its report, its trace (when
/// tracing was on) and, for a failed run, the error's message.
///
/// # Examples
///
/// ```
/// use workflow_core::prelude::*;
/// use workflow_test::Harness;
///
/// #[node]
/// async fn one() -> u32 {
///     1
/// }
///
/// workflow! {
///     struct One {
///         a = one(),
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let h = Harness::new();
/// h.execute(One, OneInput {}).await.unwrap();
/// let record = h.last_run().unwrap();
/// assert!(record.succeeded());
/// assert_eq!(record.workflow(), "One");
/// assert_eq!(record.node("a").unwrap().attempts, 1);
/// # });
/// ```
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone)]
pub struct RunRecord {
    /// The run's number in its harness: 1 for the first run started, 2 for the next.
    pub(crate) number: u64,
    pub(crate) report: RunReport,
    pub(crate) trace: Option<ExecutionTrace>,
    pub(crate) error: Option<String>,
}

impl RunRecord {
    /// The workflow's name.
    pub fn workflow(&self) -> &'static str {
        self.report.workflow
    }

    /// The run's number in its harness, in the order runs started: 1 for the first.
    /// This is how the harness's reports and failure messages name the run (`run 2 of
    /// `Etl``); it does not depend on other tests running in the same process. The
    /// run's [`report`](Self::report) prints it too, beside the runtime's id: ``run 2
    /// (id 1026) of `Etl` `` ([`RunReport::harness_number`](workflow_core::RunReport::harness_number)).
    pub fn number(&self) -> u64 {
        self.number
    }

    /// The run's id from the runtime (as in its [`RunReport`], [`Context::run_id`] and
    /// the `tracing` spans): unique in the process, so its value depends on what else
    /// ran before, such as other tests of the same binary.
    ///
    /// [`Context::run_id`]: workflow_core::Context::run_id
    pub fn run_id(&self) -> u64 {
        self.report.run_id
    }

    /// Whether the run produced its outputs.
    pub fn succeeded(&self) -> bool {
        self.error.is_none()
    }

    /// The error's message with its causes (`{:#}`), for a failed run.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Per-node status, attempts and timings.
    pub fn report(&self) -> &RunReport {
        &self.report
    }

    /// The execution trace (`None` when tracing was off for this run).
    pub fn trace(&self) -> Option<&ExecutionTrace> {
        self.trace.as_ref()
    }

    /// The report of one node, by binding name (or `#[node]` fn name).
    pub fn node(&self, name: &str) -> Option<&workflow_core::NodeReport> {
        self.report
            .node(name)
            .or_else(|| self.report.nodes.iter().find(|n| n.node_fn == name))
    }

    /// Whether node `a` finished before node `b` started; `None` unless both ran.
    ///
    /// Uses the order of trace events when the run was traced (exact even when both
    /// take no time), the node timings otherwise.
    pub fn before(&self, a: &str, b: &str) -> Option<bool> {
        let (a, b) = (self.span(a)?, self.span(b)?);
        Some(a.end.is_some_and(|end| end <= b.start))
    }

    /// Whether nodes `a` and `b` ran at the same time (each started before the other
    /// ended); `None` unless both ran.
    pub fn overlapped(&self, a: &str, b: &str) -> Option<bool> {
        let (a, b) = (self.span(a)?, self.span(b)?);
        let starts_before_end = |x: &Span, y: &Span| y.end.is_none_or(|end| x.start < end);
        Some(starts_before_end(&a, &b) && starts_before_end(&b, &a))
    }

    /// When a node ran, as positions in the trace (or nanoseconds without a trace).
    fn span(&self, name: &str) -> Option<Span> {
        let node = self.node(name)?;
        if !node.status.ran() {
            return None;
        }
        if let Some(trace) = &self.trace {
            let mut start = None;
            let mut end = None;
            for (i, e) in trace.events.iter().enumerate() {
                if e.node.as_deref() != Some(&*node.name) {
                    continue;
                }
                match e.kind {
                    TraceKind::Started { .. } if start.is_none() => start = Some(i as u128),
                    TraceKind::Completed { .. }
                    | TraceKind::Failed { .. }
                    | TraceKind::Cancelled => end = Some(i as u128),
                    _ => {}
                }
            }
            if let Some(start) = start {
                return Some(Span { start, end });
            }
        }
        let start = node.started_at?.as_nanos();
        let end = match node.status {
            NodeStatus::Running => None,
            _ => Some(start + node.duration.as_nanos()),
        };
        Some(Span { start, end })
    }
}

struct Span {
    start: u128,
    end: Option<u128>,
}

impl fmt::Display for RunRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let outcome = match &self.error {
            None => "succeeded".to_owned(),
            Some(e) => format!("failed: {e}"),
        };
        let durable = match self.report.durable_run {
            Some(id) => format!("durable run {id}; "),
            None => String::new(),
        };
        writeln!(
            f,
            "run {} of `{}` ({durable}{:?}) {outcome}",
            self.number, self.report.workflow, self.report.duration
        )?;
        // The report's own lines: a merge's nodes (one per arm, one name) told apart by
        // their fn (and rank among the arms calling it), in the report's columns.
        for line in self.report.node_lines() {
            writeln!(f, "  {line}")?;
        }
        match &self.trace {
            Some(trace) => write_trace(f, trace, "trace"),
            // A run refused before it started (shut-down runtime, missing resource) has
            // no trace even with tracing on: say so rather than blame tracing.
            None if self.error.is_some()
                && self
                    .report
                    .nodes
                    .iter()
                    .all(|n| n.status == NodeStatus::NotStarted) =>
            {
                writeln!(f, "  (no trace: the run failed before any node started)")
            }
            None => writeln!(f, "  (no trace: tracing was off for this run)"),
        }
    }
}

/// A node's state in the harness's reports: its status as `RunReport` prints it
/// (`succeeded`, `not started`, ...), or the key of the tracked wait it is blocked in.
pub(crate) fn state_word(status: NodeStatus, waits_for: Option<&str>) -> String {
    match waits_for {
        Some(key) => format!("waiting for `{key}`"),
        None => status.as_str().into(),
    }
}

pub(crate) fn write_trace(
    out: &mut impl fmt::Write,
    trace: &ExecutionTrace,
    title: &str,
) -> fmt::Result {
    const MAX: usize = 60;
    writeln!(out, "  {title}:")?;
    let skip = trace.len().saturating_sub(MAX);
    if skip > 0 {
        writeln!(out, "    ... {skip} earlier event(s)")?;
    }
    for e in trace.iter().skip(skip) {
        writeln!(out, "    {e}")?;
    }
    Ok(())
}

/// A live run, run `number` of its harness, as the watchdog prints it.
pub(crate) fn write_snapshot(out: &mut String, number: u64, s: &RunSnapshot) {
    // `s.elapsed` mixes clocks when a watchdog thread takes the picture of a run on a
    // paused clock; the trace's last event time is on the run's own clock.
    let _ = match s.trace.as_ref().and_then(|t| t.events.last()) {
        Some(last) => writeln!(
            out,
            "run {number} of `{}` still running (last event at {:?})",
            s.workflow, last.at
        ),
        None => writeln!(out, "run {number} of `{}` still running", s.workflow),
    };
    // A node waiting out a retry's backoff is running to the runtime; say what it does.
    let state = |name: &str, status: NodeStatus, waits_for: Option<&str>| match s
        .retrying
        .iter()
        .find(|w| w.node == name)
    {
        Some(w) => format!(
            "waiting {:?} to retry (attempt {} failed: {})",
            w.delay, w.attempt, w.error
        ),
        None => state_word(status, waits_for),
    };
    // The columns of the run's report (`RunSnapshot`'s too): the widest name sets them.
    let width = workflow_core::__private::name_column(
        s.nodes
            .iter()
            .map(|n| n.name)
            .chain(s.children.iter().map(|n| &*n.name)),
    );
    for n in &s.nodes {
        let _ = writeln!(
            out,
            "  {:<width$} {}",
            n.name,
            state(n.name, n.status, n.waits_for.as_deref())
        );
    }
    // Fan-out items and sub-workflows in flight, by path (`thumbs[3].img`).
    for n in &s.children {
        let _ = writeln!(
            out,
            "  {:<width$} {}",
            n.name,
            state(&n.name, n.status, n.waits_for.as_deref())
        );
    }
    match &s.trace {
        Some(trace) => {
            let _ = write_trace(out, trace, "trace so far");
        }
        None => out.push_str("  (no trace: tracing was off for this run)\n"),
    }
}
