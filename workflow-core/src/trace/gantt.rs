//! [`ExecutionTrace`] as a Mermaid Gantt chart.
//!
//! Output:
//! ```text
//! gantt
//!     title Etl (run 7)
//!     dateFormat x
//!     axisFormat %L ms
//!     section fetch
//!     fetch attempt 1 (failed) :crit, 0, 100
//!     fetch attempt 2 :done, 150, 250
//!     section total
//!     total :done, 250, 270
//!     section refund
//!     refund (not taken) :milestone, 250, 250
//! ```
//! `dateFormat x` reads times as milliseconds since the epoch, so the axis starts at 0.

use std::fmt::Write as _;
use std::time::Duration;

use super::{ExecutionTrace, SpanOutcome, TraceKind};

pub(super) fn render(trace: &ExecutionTrace) -> String {
    let spans = trace.all_attempt_spans();
    // Sections in order of first appearance in the trace.
    let mut sections: Vec<&str> = Vec::new();
    for e in &trace.events {
        if let Some(node) = e.node.as_deref() {
            let drawn = spans.iter().any(|s| s.node == node) || e.kind == TraceKind::NotTaken;
            if !sections.contains(&node) && drawn {
                sections.push(node);
            }
        }
    }
    let total = trace.duration();
    let axis = if total < Duration::from_secs(1) {
        "%L ms"
    } else if total < Duration::from_secs(60) {
        "%S.%L s"
    } else {
        "%M:%S"
    };

    let mut out = String::from("gantt\n");
    let _ = writeln!(out, "    title {}", clean(&trace.title()));
    out.push_str("    dateFormat x\n");
    let _ = writeln!(out, "    axisFormat {axis}");
    // A merge's arm taken: its bars are the binding's (`r`), shown under the arm's name
    // (`r (work #2)`), as the report prints it.
    let arms = trace.taken_arms();
    for node in sections {
        let shown = arms
            .iter()
            .rev()
            .find(|(binding, _)| *binding == node)
            .map_or(node, |(_, arm)| *arm);
        let node_text = task_name(shown);
        let _ = writeln!(out, "    section {}", clean(shown));
        let attempts: Vec<_> = spans.iter().filter(|s| s.node == node).collect();
        // A node of an arm not taken: a milestone when its decision was made. A merge
        // (a binding of every arm) shares its name with the other arms' nodes: when the
        // arm taken ran it, the section draws that node's attempts instead.
        let not_taken = trace
            .events
            .iter()
            .find(|e| e.node.as_deref() == Some(node) && e.kind == TraceKind::NotTaken);
        if let (Some(e), true) = (not_taken, attempts.is_empty()) {
            let at = e.at.as_millis();
            // A merge's arm is named with its fn already (`r (halve)`): one pair of
            // parentheses, `r (halve, not taken)`, not `r (halve) (not taken)`.
            let task = match node_text.strip_suffix(')') {
                Some(named) if named.contains(" (") => format!("{named}, not taken)"),
                _ => format!("{node_text} (not taken)"),
            };
            let _ = writeln!(out, "    {task} :milestone, {at}, {at}");
            continue;
        }
        let several = attempts.len() > 1 || attempts.iter().any(|s| s.attempt > 1);
        for span in attempts {
            let mut name = node_text.clone();
            if several {
                let _ = write!(name, " attempt {}", span.attempt);
            }
            let tag = match span.outcome {
                SpanOutcome::Completed => "done",
                SpanOutcome::Failed => {
                    name.push_str(" (failed)");
                    "crit"
                }
                SpanOutcome::Cancelled => {
                    name.push_str(" (cancelled)");
                    "active"
                }
                SpanOutcome::Running => {
                    name.push_str(" (running)");
                    "active"
                }
            };
            let _ = writeln!(
                out,
                "    {name} :{tag}, {}, {}",
                span.start.as_millis(),
                span.end.as_millis()
            );
        }
    }
    out
}

/// Words that start a directive when they open a line of a Gantt chart (Mermaid reads
/// them case-insensitively); a task named like one would be misread.
const KEYWORDS: &[&str] = &[
    "accdescr",
    "acctitle",
    "axisformat",
    "call",
    "callback",
    "click",
    "dateformat",
    "displaymode",
    "excludes",
    "gantt",
    "href",
    "inclusiveenddates",
    "includes",
    "section",
    "tickinterval",
    "title",
    "todaymarker",
    "topaxis",
    "vert",
    "weekday",
    "weekend",
];

/// A node's name as the start of a task line: cleaned, and with a trailing `_` when it
/// is a Gantt keyword.
fn task_name(node: &str) -> String {
    let mut name = clean(node);
    if KEYWORDS.contains(&name.to_ascii_lowercase().as_str()) {
        name.push('_');
    }
    name
}

/// Text Mermaid's Gantt grammar accepts in titles, sections and task names: no `:`,
/// `;`, `#` or line breaks. A merge's later arm calling the same fn, `r (work #2)` in
/// the report and trace, is `r (work no. 2)`.
fn clean(s: &str) -> String {
    s.replace(" #", " no. ")
        .chars()
        .map(|c| match c {
            ':' | ';' | '#' | '\n' | '\r' => '_',
            c => c,
        })
        .collect()
}
