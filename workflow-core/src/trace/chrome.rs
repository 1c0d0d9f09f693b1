//! [`ExecutionTrace`] as Chrome trace event JSON (Perfetto, `chrome://tracing`).
//!
//! Format: <https://docs.google.com/document/d/1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU>.
//! Events are built as `serde_json` values, so every string is escaped as JSON requires.

use std::time::Duration;

use serde_json::{json, Map, Value};

use super::{ExecutionTrace, SpanOutcome, TraceKind};

/// The process id used for every event (one trace is one run).
const PID: u32 = 1;

pub(super) fn render(trace: &ExecutionTrace) -> String {
    // One row (tid) per node, in order of first appearance; the run is row 0. A merge's
    // arm taken has its events under the binding (`r`) and its `taken` event under the
    // arm's name (`r (work #2)`): one row, named as the report prints the arm.
    let arms = trace.taken_arms();
    let mut lanes: Vec<&str> = Vec::new();
    for e in &trace.events {
        if let Some(node) = e.node.as_deref() {
            let node = row(&arms, node);
            if !lanes.contains(&node) {
                lanes.push(node);
            }
        }
    }
    let tid = |node: Option<&str>| -> usize {
        node.and_then(|n| {
            let n = row(&arms, n);
            lanes.iter().position(|l| *l == n)
        })
        .map_or(0, |i| i + 1)
    };

    let mut events: Vec<Value> = Vec::new();

    // Metadata: names and order of the process and its rows.
    let process = trace.title();
    events.push(metadata("process_name", 0, json!({ "name": process })));
    events.push(metadata("thread_name", 0, json!({ "name": "run" })));
    events.push(metadata("thread_sort_index", 0, json!({ "sort_index": 0 })));
    for (i, node) in lanes.iter().enumerate() {
        let shown = shown(&arms, node);
        events.push(metadata("thread_name", i + 1, json!({ "name": shown })));
        events.push(metadata(
            "thread_sort_index",
            i + 1,
            json!({ "sort_index": i + 1 }),
        ));
    }

    // The run as one complete event.
    let start = trace
        .events
        .iter()
        .find(|e| e.node.is_none() && e.kind == TraceKind::RunStarted)
        .map_or(Duration::ZERO, |e| e.at);
    let (end, outcome) = trace
        .events
        .iter()
        .rev()
        .find_map(|e| match (&e.node, &e.kind) {
            (None, TraceKind::RunCompleted) => Some((e.at, "completed")),
            (None, TraceKind::RunFailed { .. }) => Some((e.at, "failed")),
            _ => None,
        })
        .unwrap_or((trace.duration(), "running"));
    let mut run = event(trace.workflow, "run", "X", 0, start);
    run.insert("dur".into(), us(end.saturating_sub(start)));
    run.insert(
        "args".into(),
        json!({ "run_id": trace.run_id, "outcome": outcome }),
    );
    events.push(run.into());

    // One complete event per node attempt.
    for span in trace.all_attempt_spans() {
        let name = shown(&arms, &span.node);
        let mut e = event(name, "node", "X", tid(Some(&span.node)), span.start);
        e.insert("dur".into(), us(span.duration()));
        let cname = match span.outcome {
            SpanOutcome::Completed => "good",
            SpanOutcome::Failed => "bad",
            SpanOutcome::Cancelled => "grey",
            SpanOutcome::Running => "yellow",
        };
        e.insert("cname".into(), cname.into());
        e.insert(
            "args".into(),
            json!({ "attempt": span.attempt, "outcome": span.outcome.as_str() }),
        );
        events.push(e.into());
    }

    // Everything else as instant events on the node's row.
    for e in &trace.events {
        let (name, cat) = match &e.kind {
            TraceKind::Started { .. } | TraceKind::Completed { .. } => continue,
            TraceKind::Custom { message } => (message.as_str(), "custom"),
            TraceKind::RunStarted | TraceKind::RunCompleted | TraceKind::RunFailed { .. } => {
                (e.kind.name(), "run")
            }
            TraceKind::Scheduled
            | TraceKind::Skipped
            | TraceKind::Restored
            | TraceKind::NotTaken
            | TraceKind::Taken => (e.kind.name(), "schedule"),
            TraceKind::Waiting { .. } => (e.kind.name(), "wait"),
            _ => (e.kind.name(), "node"),
        };
        let args = match &e.kind {
            TraceKind::Retrying {
                attempt,
                delay,
                error,
            } => json!({ "attempt": attempt, "delay_us": us(*delay), "error": error }),
            TraceKind::Failed { attempts, error } => {
                json!({ "attempts": attempts, "error": error })
            }
            TraceKind::RunFailed { error } => json!({ "error": error }),
            TraceKind::Waiting { key } => json!({ "key": key }),
            TraceKind::Custom { message } => json!({ "message": message }),
            _ => json!({}),
        };
        let mut instant = event(name, cat, "i", tid(e.node.as_deref()), e.at);
        instant.insert("s".into(), "t".into());
        instant.insert("args".into(), args);
        events.push(instant.into());
    }

    let mut other = json!({ "workflow": trace.workflow, "run_id": trace.run_id });
    if let Some(n) = trace.harness_number() {
        other["harness_number"] = n.into();
    }
    json!({
        "displayTimeUnit": "ms",
        "otherData": other,
        "traceEvents": events,
    })
    .to_string()
}

/// The row of `node`: a merge's arm taken (`r (work #2)`, its `taken` event) is on its
/// binding's (`r`), where its other events are.
fn row<'t>(arms: &[(&'t str, &'t str)], node: &'t str) -> &'t str {
    arms.iter()
        .rev()
        .find(|(_, arm)| *arm == node)
        .map_or(node, |(binding, _)| *binding)
}

/// How the row (and attempts) of `node` are named: a merge's binding whose arm the run
/// took by the arm's name (`r (work #2)`), as the report prints it.
fn shown<'t>(arms: &[(&'t str, &'t str)], node: &'t str) -> &'t str {
    arms.iter()
        .rev()
        .find(|(binding, _)| *binding == node)
        .map_or(node, |(_, arm)| *arm)
}

/// An event object with the fields every non-metadata event has.
fn event(name: &str, cat: &str, ph: &str, tid: usize, ts: Duration) -> Map<String, Value> {
    let mut e = Map::new();
    e.insert("name".into(), name.into());
    e.insert("cat".into(), cat.into());
    e.insert("ph".into(), ph.into());
    e.insert("pid".into(), PID.into());
    e.insert("tid".into(), tid.into());
    e.insert("ts".into(), us(ts));
    e
}

/// A metadata event (`"ph":"M"`): a name or sort index of the process or a row.
fn metadata(name: &str, tid: usize, args: Value) -> Value {
    json!({ "name": name, "ph": "M", "pid": PID, "tid": tid, "args": args })
}

/// A duration in microseconds, as a JSON float with nanosecond decimals. Exact below
/// 2^53 ns (104 days): the one rounding of the division gives the float nearest the
/// decimal value, which serde_json prints in its shortest form (`1234.567`).
fn us(d: Duration) -> Value {
    json!(d.as_nanos() as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn microseconds_keep_nanoseconds() {
        assert_eq!(us(Duration::from_nanos(1_234_567)).to_string(), "1234.567");
        assert_eq!(us(Duration::from_nanos(1)).to_string(), "0.001");
        // Always a float, so viewers and `as_f64` read every timestamp alike.
        assert_eq!(us(Duration::ZERO).to_string(), "0.0");
        assert_eq!(us(Duration::from_millis(2)).to_string(), "2000.0");
    }

    #[test]
    fn strings_are_escaped() {
        let trace = ExecutionTrace {
            workflow: "W \"quoted\"\n\u{1}",
            ..ExecutionTrace::default()
        };
        let json: Value = serde_json::from_str(&render(&trace)).unwrap();
        assert_eq!(json["otherData"]["workflow"], "W \"quoted\"\n\u{1}");
    }
}
