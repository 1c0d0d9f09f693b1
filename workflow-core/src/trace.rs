//! The execution trace of a run: timestamped events on tokio's clock.
//!
//! Tracing a run is opt-in ([`RunOptions::trace`](crate::RunOptions::trace) or
//! [`RuntimeBuilder::trace`](crate::RuntimeBuilder::trace)); a run without it records
//! nothing and pays one branch per event site.

use std::fmt::{self, Write as _};
use std::sync::Mutex;
use std::time::Duration;

use crate::context::lock;

/// One event of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceEvent {
    /// Time since the run started, on tokio's clock (exact under a paused clock).
    pub at: Duration,
    /// The node binding, or `None` for run-level events.
    pub node: Option<&'static str>,
    /// What happened.
    pub kind: TraceKind,
}

/// What a [`TraceEvent`] records.
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
    /// The node was never started because something upstream failed.
    Skipped,
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
            Self::Waiting { key } => write!(f, "waiting for `{key}`"),
            Self::Custom { message } => write!(f, "event: {message}"),
            Self::RunCompleted => f.write_str("run completed"),
            Self::RunFailed { error } => write!(f, "run failed: {error}"),
        }
    }
}

impl fmt::Display for TraceEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:>10} ", format!("{:?}", self.at))?;
        match self.node {
            Some(node) => write!(f, "{node}: {}", self.kind),
            None => write!(f, "{}", self.kind),
        }
    }
}

/// Collects events of one run.
#[derive(Debug, Default)]
pub(crate) struct TraceRecorder {
    events: Mutex<Vec<TraceEvent>>,
}

impl TraceRecorder {
    pub(crate) fn push(&self, event: TraceEvent) {
        lock(&self.events).push(event);
    }

    pub(crate) fn snapshot(&self) -> ExecutionTrace {
        ExecutionTrace {
            events: lock(&self.events).clone(),
        }
    }
}

/// The events of one run, in the order they happened.
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
pub struct ExecutionTrace {
    /// The events.
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

    /// The events of one node.
    pub fn node_events<'a>(&'a self, node: &'a str) -> impl Iterator<Item = &'a TraceEvent> + 'a {
        self.events.iter().filter(move |e| e.node == Some(node))
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

    /// Spans of node attempts: `(node, attempt, start, end, outcome)`, in start order.
    pub fn attempt_spans(&self) -> Vec<AttemptSpan> {
        let mut open: Vec<AttemptSpan> = Vec::new();
        let mut done: Vec<AttemptSpan> = Vec::new();
        for e in &self.events {
            let Some(node) = e.node else { continue };
            match &e.kind {
                TraceKind::Started { attempt } => open.push(AttemptSpan {
                    node,
                    attempt: *attempt,
                    start: e.at,
                    end: e.at,
                    outcome: SpanOutcome::Running,
                }),
                TraceKind::Retrying { .. }
                | TraceKind::Completed { .. }
                | TraceKind::Failed { .. }
                | TraceKind::Cancelled => {
                    if let Some(pos) = open.iter().position(|s| s.node == node) {
                        let mut span = open.remove(pos);
                        span.end = e.at;
                        span.outcome = match e.kind {
                            TraceKind::Completed { .. } => SpanOutcome::Completed,
                            TraceKind::Cancelled => SpanOutcome::Cancelled,
                            _ => SpanOutcome::Failed,
                        };
                        done.push(span);
                    }
                }
                _ => {}
            }
        }
        done.extend(open);
        done.sort_by_key(|s| (s.start, s.node, s.attempt));
        done
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptSpan {
    /// The node binding.
    pub node: &'static str,
    /// The attempt number.
    pub attempt: u32,
    /// When it started.
    pub start: Duration,
    /// When it ended (equal to `start` if it never ended).
    pub end: Duration,
    /// How it ended.
    pub outcome: SpanOutcome,
}

/// How an [`AttemptSpan`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpanOutcome {
    /// Produced the output.
    Completed,
    /// Returned an error, panicked or timed out.
    Failed,
    /// Was cancelled.
    Cancelled,
    /// Had not ended when the trace was taken.
    Running,
}
