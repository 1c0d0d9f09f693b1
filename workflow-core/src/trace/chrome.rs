//! [`ExecutionTrace`] as Chrome trace event JSON (Perfetto, `chrome://tracing`).
//!
//! Format: <https://docs.google.com/document/d/1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU>.
//! Written by hand (no serde in `workflow-core`); every string goes through
//! [`push_str`], which escapes as JSON requires.

use std::fmt::Write as _;
use std::time::Duration;

use super::{ExecutionTrace, SpanOutcome, TraceKind};

/// The process id used for every event (one trace is one run).
const PID: u32 = 1;

pub(super) fn render(trace: &ExecutionTrace) -> String {
    // One row (tid) per node, in order of first appearance; the run is row 0.
    let mut lanes: Vec<&'static str> = Vec::new();
    for e in &trace.events {
        if let Some(node) = e.node {
            if !lanes.contains(&node) {
                lanes.push(node);
            }
        }
    }
    let tid = |node: Option<&str>| -> usize {
        node.and_then(|n| lanes.iter().position(|l| *l == n))
            .map_or(0, |i| i + 1)
    };

    let mut w = Writer::default();
    w.out
        .push_str(r#"{"displayTimeUnit":"ms","otherData":{"workflow":"#);
    push_str(&mut w.out, trace.workflow);
    let _ = write!(w.out, r#","run_id":{}}},"traceEvents":["#, trace.run_id);

    // Metadata: names and order of the process and its rows.
    let process = format!("{} (run {})", trace.workflow, trace.run_id);
    w.metadata("process_name", 0, &process);
    w.metadata("thread_name", 0, "run");
    w.sort_index(0, 0);
    for (i, node) in lanes.iter().enumerate() {
        w.metadata("thread_name", i + 1, node);
        w.sort_index(i + 1, i + 1);
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
    w.begin(trace.workflow, "run", "X", 0, start);
    w.dur(end.saturating_sub(start));
    let _ = write!(
        w.out,
        r#","args":{{"run_id":{},"outcome":"{outcome}"}}}}"#,
        trace.run_id
    );

    // One complete event per node attempt.
    for span in trace.attempt_spans() {
        w.begin(span.node, "node", "X", tid(Some(span.node)), span.start);
        w.dur(span.duration());
        let cname = match span.outcome {
            SpanOutcome::Completed => "good",
            SpanOutcome::Failed => "bad",
            SpanOutcome::Cancelled => "grey",
            SpanOutcome::Running => "yellow",
        };
        let _ = write!(
            w.out,
            r#","cname":"{cname}","args":{{"attempt":{},"outcome":"{}"}}}}"#,
            span.attempt,
            span.outcome.as_str()
        );
    }

    // Everything else as instant events on the node's row.
    for e in &trace.events {
        let (name, cat) = match &e.kind {
            TraceKind::Started { .. } | TraceKind::Completed { .. } => continue,
            TraceKind::Custom { message } => (message.as_str(), "custom"),
            TraceKind::RunStarted | TraceKind::RunCompleted | TraceKind::RunFailed { .. } => {
                (e.kind.name(), "run")
            }
            TraceKind::Scheduled | TraceKind::Skipped | TraceKind::Restored => {
                (e.kind.name(), "schedule")
            }
            TraceKind::Waiting { .. } => (e.kind.name(), "wait"),
            _ => (e.kind.name(), "node"),
        };
        w.begin(name, cat, "i", tid(e.node), e.at);
        w.out.push_str(r#","s":"t","args":{"#);
        match &e.kind {
            TraceKind::Retrying {
                attempt,
                delay,
                error,
            } => {
                let _ = write!(w.out, r#""attempt":{attempt},"delay_us":"#);
                push_us(&mut w.out, *delay);
                w.out.push_str(r#","error":"#);
                push_str(&mut w.out, error);
            }
            TraceKind::Failed { attempts, error } => {
                let _ = write!(w.out, r#""attempts":{attempts},"error":"#);
                push_str(&mut w.out, error);
            }
            TraceKind::RunFailed { error } => {
                w.out.push_str(r#""error":"#);
                push_str(&mut w.out, error);
            }
            TraceKind::Waiting { key } => {
                w.out.push_str(r#""key":"#);
                push_str(&mut w.out, key);
            }
            TraceKind::Custom { message } => {
                w.out.push_str(r#""message":"#);
                push_str(&mut w.out, message);
            }
            _ => {}
        }
        w.out.push_str("}}");
    }
    w.out.push_str("\n]}\n");
    w.out
}

/// Appends events one per line, with the separating commas.
#[derive(Default)]
struct Writer {
    out: String,
    count: usize,
}

impl Writer {
    fn next(&mut self) {
        self.out
            .push_str(if self.count == 0 { "\n" } else { ",\n" });
        self.count += 1;
    }

    /// Opens an event object with its common fields; the caller closes it.
    fn begin(&mut self, name: &str, cat: &str, ph: &str, tid: usize, ts: Duration) {
        self.next();
        self.out.push_str(r#"{"name":"#);
        push_str(&mut self.out, name);
        self.out.push_str(r#","cat":"#);
        push_str(&mut self.out, cat);
        let _ = write!(self.out, r#","ph":"{ph}","pid":{PID},"tid":{tid},"ts":"#);
        push_us(&mut self.out, ts);
    }

    fn dur(&mut self, d: Duration) {
        self.out.push_str(r#","dur":"#);
        push_us(&mut self.out, d);
    }

    fn metadata(&mut self, kind: &str, tid: usize, name: &str) {
        self.next();
        let _ = write!(
            self.out,
            r#"{{"name":"{kind}","ph":"M","pid":{PID},"tid":{tid},"args":{{"name":"#
        );
        push_str(&mut self.out, name);
        self.out.push_str("}}");
    }

    fn sort_index(&mut self, tid: usize, index: usize) {
        self.next();
        let _ = write!(
            self.out,
            r#"{{"name":"thread_sort_index","ph":"M","pid":{PID},"tid":{tid},"args":{{"sort_index":{index}}}}}"#
        );
    }
}

/// A duration in microseconds with three decimals (nanosecond precision).
fn push_us(out: &mut String, d: Duration) {
    let nanos = d.as_nanos();
    let _ = write!(out, "{}.{:03}", nanos / 1000, nanos % 1000);
}

/// `s` as a JSON string literal, quotes included.
pub(super) fn push_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(s: &str) -> String {
        let mut out = String::new();
        push_str(&mut out, s);
        out
    }

    #[test]
    fn escapes_json_strings() {
        assert_eq!(quoted("plain"), r#""plain""#);
        assert_eq!(quoted(r#"a "b" \c"#), r#""a \"b\" \\c""#);
        assert_eq!(quoted("l1\nl2\r\t"), r#""l1\nl2\r\t""#);
        assert_eq!(quoted("\u{0}\u{1f}\u{8}\u{c}"), r#""\u0000\u001f\b\f""#);
        assert_eq!(quoted("é ✓ \u{2028}"), "\"é ✓ \\u2028\"");
    }

    #[test]
    fn microseconds_keep_nanoseconds() {
        let mut out = String::new();
        push_us(&mut out, Duration::from_nanos(1_234_567));
        assert_eq!(out, "1234.567");
        out.clear();
        push_us(&mut out, Duration::ZERO);
        assert_eq!(out, "0.000");
    }
}
