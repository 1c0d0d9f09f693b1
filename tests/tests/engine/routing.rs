//! Routing in `workflow!`: `match` and `if` on a node's output. Only the taken arm runs;
//! a binding every arm defines is one value (a merge), waited for once; a binding of
//! some arms is an `Option` through `name?`; nodes of the arms not taken end *not taken*.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use workflow_core::prelude::*;
use workflow_test::Harness;

const LIMIT: u32 = 1000;

#[derive(Debug, Clone, PartialEq)]
struct Order {
    total: u32,
}

#[derive(Debug, Clone, PartialEq)]
enum Triage {
    Small(Order),
    Large(Order),
    Rejected(String),
}

#[node]
async fn triage(order: Order) -> Triage {
    match order.total {
        0 => Triage::Rejected("empty order".into()),
        t if t < 100 => Triage::Small(order),
        _ => Triage::Large(order),
    }
}

#[node]
async fn pay_now(order: Order) -> String {
    format!("paid {}", order.total)
}

#[node]
async fn ask_manager(order: Order) -> u32 {
    tokio::time::sleep(Duration::from_millis(30)).await;
    order.total
}

#[node]
async fn pay_after(approval: u32) -> String {
    tokio::time::sleep(Duration::from_millis(20)).await;
    format!("paid {approval} after approval")
}

#[node]
async fn refuse_large(order: Order) -> String {
    format!("refused {}: too large", order.total)
}

#[node]
async fn refuse(reason: String) -> String {
    format!("refused: {reason}")
}

static EMAILS: AtomicU32 = AtomicU32::new(0);

#[node]
async fn email(receipt: String) -> String {
    EMAILS.fetch_add(1, Ordering::SeqCst);
    format!("sent <{receipt}>")
}

#[node]
async fn log_approval(approval: Option<u32>) -> String {
    match approval {
        Some(a) => format!("approved {a}"),
        None => "no approval".into(),
    }
}

workflow! {
    struct Checkout {
        input order: Order,
        t = triage(order),
        match t {
            Triage::Small(o) => { receipt = pay_now(order: o), }
            Triage::Large(o) if o.total < LIMIT => {
                approval = ask_manager(order: o),
                receipt = pay_after(approval),
            }
            Triage::Large(o) => { receipt = refuse_large(order: o), }
            Triage::Rejected(reason) => { receipt = refuse(reason), }
        }
        sent = email(receipt),
        audit = log_approval(approval?),
    }
}

async fn checkout(total: u32) -> Run<CheckoutOutput> {
    Runtime::new()
        .execute(
            Checkout,
            CheckoutInput {
                order: Order { total },
            },
        )
        .await
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn only_the_taken_arm_runs() {
    let run = checkout(5).await;
    assert_eq!(run.outputs.sent, "sent <paid 5>");
    assert_eq!(run.outputs.audit, "no approval");
    let status = |n: &str| run.report.node(n).unwrap().status;
    assert_eq!(status("receipt"), NodeStatus::Succeeded);
    assert_eq!(status("approval"), NodeStatus::NotTaken);
    assert_eq!(status("sent"), NodeStatus::Succeeded);
    assert_eq!(
        run.report.with_status(NodeStatus::NotTaken).count(),
        4,
        "{}",
        run.report
    );
}

#[tokio::test(start_paused = true)]
async fn a_guarded_arm_and_a_partial_binding() {
    let run = checkout(500).await;
    assert_eq!(run.outputs.sent, "sent <paid 500 after approval>");
    assert_eq!(run.outputs.audit, "approved 500");
    assert_eq!(run.duration(), Duration::from_millis(50));
    let run = checkout(5000).await;
    assert_eq!(run.outputs.sent, "sent <refused 5000: too large>");
    assert_eq!(run.outputs.audit, "no approval");
    let run = checkout(0).await;
    assert_eq!(run.outputs.sent, "sent <refused: empty order>");
}

// ---- a merge after arms of unequal length, then a diamond -------------------------------

#[node]
async fn is_big(n: u32) -> bool {
    n >= 10
}

#[node]
async fn slow_step(x: u32) -> u32 {
    tokio::time::sleep(Duration::from_millis(10)).await;
    x + 1
}

#[node]
async fn quick(n: u32) -> u32 {
    n * 100
}

#[node]
async fn add_one(v: u32) -> u32 {
    v + 1
}

#[node]
async fn double(v: u32) -> u32 {
    v * 2
}

#[node]
async fn sum(left: u32, right: u32) -> u32 {
    left + right
}

workflow! {
    struct Diamond {
        input n: u32,
        big = is_big(n),
        if big {
            a = slow_step(x: n),
            b = slow_step(x: a),
            v = slow_step(x: b),
        } else {
            v = quick(n),
        }
        left = add_one(v),
        right = double(v),
        joined = sum(left, right),
    }
}

#[tokio::test(start_paused = true)]
async fn a_merge_waits_for_the_taken_arm_only_and_runs_once() {
    let h = Harness::new();
    // The long arm: the merge waits for its last node.
    let run = h.execute(Diamond, DiamondInput { n: 10 }).await.unwrap();
    assert_eq!(run.outputs.joined, (13 + 1) + 13 * 2);
    assert_eq!(run.duration(), Duration::from_millis(30));
    for node in ["v", "left", "right", "joined"] {
        h.assert_executed(node, 1);
    }
    let statuses: Vec<NodeStatus> = run
        .report
        .nodes
        .iter()
        .filter(|n| n.name == "v")
        .map(|n| n.status)
        .collect();
    assert_eq!(statuses, [NodeStatus::Succeeded, NodeStatus::NotTaken]);

    // The short arm: the long one's nodes are not taken, the merge runs once.
    let run = h.execute(Diamond, DiamondInput { n: 1 }).await.unwrap();
    assert_eq!(run.outputs.joined, 101 + 200);
    assert_eq!(run.duration(), Duration::ZERO);
    h.assert_not_taken("a");
    h.assert_not_taken("b");
    h.assert_executed("a", 3 - 2);
    h.assert_executed("joined", 2);
    h.assert_executed("v", 2);
}

// ---- nesting, failures -------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Shape {
    Point,
    Line(u32),
}

#[node]
async fn shape(n: u32) -> Shape {
    if n == 0 {
        Shape::Point
    } else {
        Shape::Line(n)
    }
}

#[node]
async fn label(text: String) -> String {
    text
}

#[node]
async fn point_label() -> String {
    "point".into()
}

#[node]
async fn short_label(len: u32) -> String {
    format!("short {len}")
}

#[node]
async fn long_label(len: u32) -> Result<String, std::io::Error> {
    if len > 100 {
        return Err(std::io::Error::other("too long to label"));
    }
    Ok(format!("long {len}"))
}

#[node]
async fn is_short(len: u32) -> bool {
    len < 10
}

#[node]
async fn independent(n: u32) -> u32 {
    tokio::time::sleep(Duration::from_millis(5)).await;
    n
}

workflow! {
    struct Nested {
        input n: u32,
        s = shape(n),
        match s {
            Shape::Point => { text = point_label(), }
            Shape::Line(len) => {
                short = is_short(len),
                if short {
                    text = short_label(len),
                } else {
                    text = long_label(len),
                }
            }
        }
        out = label(text),
        side = independent(n),
    }
}

#[tokio::test(start_paused = true)]
async fn nested_decisions_route_and_merge_through_both_levels() {
    let h = Harness::new();
    let run = h.execute(Nested, NestedInput { n: 0 }).await.unwrap();
    assert_eq!(run.outputs.out, "point");
    h.assert_not_taken("short");
    h.assert_not_taken("if_short");
    let run = h.execute(Nested, NestedInput { n: 3 }).await.unwrap();
    assert_eq!(run.outputs.out, "short 3");
    let run = h.execute(Nested, NestedInput { n: 30 }).await.unwrap();
    assert_eq!(run.outputs.out, "long 30");
    let text: Vec<NodeStatus> = run
        .report
        .nodes
        .iter()
        .filter(|n| n.name == "text")
        .map(|n| n.status)
        .collect();
    assert_eq!(
        text,
        [
            NodeStatus::NotTaken,
            NodeStatus::NotTaken,
            NodeStatus::Succeeded
        ]
    );
    h.assert_executed("out", 3);
}

#[tokio::test(start_paused = true)]
async fn a_failure_in_the_taken_arm_fails_fast() {
    let h = Harness::new();
    let err = h.execute(Nested, NestedInput { n: 300 }).await.unwrap_err();
    assert!(
        matches!(&err, WorkflowError::NodeFailed { node, .. } if node == "text"),
        "{err:?}"
    );
    let record = h.last_run().unwrap();
    let report = record.report();
    assert_eq!(report.node("out").unwrap().status, NodeStatus::Skipped);
    // Fail fast: the independent node still sleeping was cancelled.
    assert_eq!(report.node("side").unwrap().status, NodeStatus::Cancelled);
    h.assert_not_taken("point_label");
}

workflow! {
    #[workflow(failure = "continue")]
    struct NestedContinue {
        input n: u32,
        s = shape(n),
        match s {
            Shape::Point => { text = point_label(), }
            Shape::Line(len) => {
                short = is_short(len),
                if short {
                    text = short_label(len),
                } else {
                    text = long_label(len),
                }
            }
        }
        out = label(text),
        side = independent(n),
    }
}

#[tokio::test(start_paused = true)]
async fn failure_continue_skips_what_follows_the_failed_arm_and_runs_the_rest() {
    let h = Harness::new();
    let err = h
        .execute(NestedContinue, NestedContinueInput { n: 300 })
        .await
        .unwrap_err();
    assert!(
        matches!(&err, WorkflowError::NodeFailed { node, .. } if node == "text"),
        "{err:?}"
    );
    let record = h.last_run().unwrap();
    let report = record.report();
    let status = |n: &str| report.node(n).unwrap().status;
    assert_eq!(status("out"), NodeStatus::Skipped);
    assert_eq!(status("side"), NodeStatus::Succeeded);
    assert_eq!(
        record.node("point_label").unwrap().status,
        NodeStatus::NotTaken,
        "{report}"
    );
    assert_eq!(status("text"), NodeStatus::Failed);
    // And without a failure the same workflow routes as usual.
    let run = h
        .execute(NestedContinue, NestedContinueInput { n: 4 })
        .await
        .unwrap();
    assert_eq!(run.outputs.out, "short 4");
}

// ---- statuses in the trace ---------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn arms_not_taken_are_in_the_trace_and_the_gantt_chart() {
    let run = Runtime::new()
        .execute_with(
            Diamond,
            DiamondInput { n: 1 },
            RunOptions::new().trace(true),
        )
        .await
        .unwrap();
    let trace = run.trace.unwrap();
    assert_eq!(
        trace.kinds("a"),
        [&workflow_core::trace::TraceKind::NotTaken]
    );
    assert!(
        trace.render_text().contains("a: not taken"),
        "{}",
        trace.render_text()
    );
    // A router takes no time: it is scheduled and completes, with no attempt span.
    let order = trace.start_order();
    assert_eq!(order, ["big", "v", "left", "right", "joined"]);
    assert_eq!(trace.kinds("if_big").len(), 2, "{}", trace.render_text());
    let gantt = trace.to_mermaid_gantt();
    assert!(gantt.contains("a (not taken)"), "{gantt}");
    // The merge `v` is bound in both arms: the arm taken (`quick`) ran, so its section
    // draws that node's bar, not the other arm's milestone, named as the report prints
    // that arm (trial42: `section v`, which did not say which arm ran).
    assert!(
        gantt.contains("    section v (quick)\n    v (quick) :done, 0, 0\n"),
        "{gantt}"
    );
    assert!(!gantt.contains("section v\n"), "{gantt}");
    assert!(!gantt.contains("v (not taken)"), "{gantt}");
    // The arm not taken of the merge is named with its fn, as in the report: `v: not
    // taken` followed by `v: started` read as a contradiction (trial38), and
    // `trace.kinds("v")` began with the other arm's `NotTaken`.
    let text = trace.render_text();
    assert!(text.contains("v (slow_step): not taken"), "{text}");
    assert!(!text.contains("v: not taken"), "{text}");
    use workflow_core::trace::TraceKind;
    assert!(!trace.kinds("v").contains(&&TraceKind::NotTaken), "{text}");
    assert_eq!(trace.kinds("v (slow_step)"), [&TraceKind::NotTaken]);
    // Its Gantt milestone has one pair of parentheses (trial39: `v (slow_step) (not
    // taken)`).
    assert!(
        gantt
            .contains("    section v (slow_step)\n    v (slow_step, not taken) :milestone, 0, 0\n"),
        "{gantt}"
    );
    assert!(!gantt.contains(") (not taken)"), "{gantt}");
    assert_eq!(
        run.report.node("v (slow_step)").unwrap().status,
        NodeStatus::NotTaken
    );
}

// ---- a merge whose arms call the same fn ---------------------------------------------

#[node]
async fn rem3(n: u32) -> u32 {
    n % 3
}

#[node]
async fn work(n: u32) -> u32 {
    tokio::time::sleep(Duration::from_millis(10)).await;
    n * 2
}

#[node]
async fn halve(n: u32) -> u32 {
    n / 2
}

workflow! {
    struct SameFn {
        input n: u32,
        p = rem3(n),
        match p {
            0 => { r = work(n), }
            1 => { r = halve(n), }
            _ => { r = work(n: p), }
        }
    }
}

/// Two arms of a merge calling the same fn are told apart by rank, `r (work)` and `r
/// (work #2)`, in the report, the trace, the Gantt chart and the harness's lookups
/// (trial39: both printed `r (work)`, and `"r (work)"` found only the first).
#[tokio::test(start_paused = true)]
async fn a_merges_arms_calling_the_same_fn_are_named_apart() {
    let h = Harness::new();
    h.set_trace(true);
    // n = 5: the third arm, `work(n: p)` = 4.
    let run = h.execute(SameFn, SameFnInput { n: 5 }).await.unwrap();
    assert_eq!(run.outputs.r, 4);
    let report = &run.report;
    assert_eq!(
        report.labels()[..4],
        ["p", "r (work)", "r (halve)", "r (work #2)"]
    );
    assert_eq!(report.node("r").unwrap().status, NodeStatus::Succeeded);
    assert_eq!(
        report.node("r (work #2)").unwrap().status,
        NodeStatus::Succeeded
    );
    assert_eq!(
        report.node("r (work)").unwrap().status,
        NodeStatus::NotTaken
    );
    assert!(report.node("r (work #3)").is_none());
    assert!(report.node("r (work #1)").is_none());
    let text = report.to_string();
    assert!(text.contains("\n  r (work)         not taken\n"), "{text}");
    assert!(
        text.contains("\n  r (work #2)      succeeded  attempts=1 time=10ms\n"),
        "{text}"
    );
    h.assert_not_taken("r (work)");
    h.assert_not_taken("r (halve)");
    let record = h.last_run().unwrap().to_string();
    assert!(
        record.contains("\n  r (work #2)      succeeded  attempts=1 time=10ms\n"),
        "{record}"
    );
    let trace = run.trace.unwrap();
    let events = trace.render_text();
    assert!(events.contains("r (work): not taken"), "{events}");
    assert!(events.contains("r (halve): not taken"), "{events}");
    // The Gantt chart and the Chrome trace name the arm taken as the report does, on one
    // section or row with its attempts (trial42: a section `r`, and in Chrome a row `r`
    // with the attempt beside a row `r (work #2)` holding only its `taken` instant).
    let gantt = trace.to_mermaid_gantt();
    assert!(
        gantt.contains("    section r (work no. 2)\n    r (work no. 2) :done, 0, 10\n"),
        "{gantt}"
    );
    assert!(!gantt.contains("section r\n"), "{gantt}");
    let chrome: serde_json::Value = serde_json::from_str(&trace.to_chrome_json()).unwrap();
    let chrome = chrome["traceEvents"].as_array().unwrap();
    let rows: Vec<&str> = chrome
        .iter()
        .filter(|e| e["name"] == "thread_name")
        .map(|e| e["args"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        rows.iter().filter(|r| r.starts_with("r (work #2)")).count(),
        1,
        "{rows:?}"
    );
    assert!(!rows.contains(&"r"), "{rows:?}");
    let row = |name: &str| {
        chrome
            .iter()
            .find(|e| e["name"] == "thread_name" && e["args"]["name"] == name)
            .map(|e| e["tid"].clone())
            .unwrap()
    };
    let attempt = chrome
        .iter()
        .find(|e| e["ph"] == "X" && e["cat"] == "node" && e["name"] == "r (work #2)")
        .expect("the attempt, named as the arm");
    assert_eq!(attempt["tid"], row("r (work #2)"));
    let taken = chrome
        .iter()
        .find(|e| e["ph"] == "i" && e["name"] == "taken")
        .expect("the taken instant");
    assert_eq!(taken["tid"], row("r (work #2)"));
    // The arms not taken keep their rows, named as before.
    assert!(
        rows.contains(&"r (work)") && rows.contains(&"r (halve)"),
        "{rows:?}"
    );
    // n = 3: the first arm ran; the third's is not taken, named by its rank.
    let run = h.execute(SameFn, SameFnInput { n: 3 }).await.unwrap();
    assert_eq!(run.outputs.r, 6);
    assert_eq!(
        run.report.node("r (work #2)").unwrap().status,
        NodeStatus::NotTaken
    );
    h.assert_not_taken("r (work #2)");
    let trace = run.trace.unwrap();
    assert!(
        trace.render_text().contains("r (work #2): not taken"),
        "{}",
        trace.render_text()
    );
    let gantt = trace.to_mermaid_gantt();
    assert!(
        gantt.contains(
            "    section r (work no. 2)\n    r (work no. 2, not taken) :milestone, 0, 0\n"
        ),
        "{gantt}"
    );
    // A wrong rank is not a node; the failure lists the labels.
    let message = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        h.assert_not_taken("r (work #3)")
    }))
    .unwrap_err();
    let message = message.downcast_ref::<String>().unwrap();
    assert!(
        message.contains("its nodes: p, r (work), r (halve), r (work #2)"),
        "{message}"
    );
}

workflow! {
    struct SameFnItems {
        input ns: Vec<u32>,
        out = for n in ns {
            p = rem3(n),
            match p {
                0 => { r = work(n), }
                1 => { r = halve(n), }
                _ => { r = work(n: p), }
            }
        } => r,
    }
}

/// The arm taken of a merge is found by the name the report prints for it, `r (work #2)`,
/// as by the binding's, `r`: in the trace (a `taken` event names it, and the lookups
/// follow it to the node's events) and in the harness's counts; an arm not taken counts
/// 0 there instead of being an unknown name (trial40: `trace.kinds("r (work #2)")` was
/// empty when that arm ran, and `h.execution_count("r (work)")` panicked with "no run of
/// this harness has a node called `r (work)`" beside a report listing it).
#[tokio::test(start_paused = true)]
async fn a_merges_arm_taken_is_found_by_its_printed_name_too() {
    use workflow_core::trace::TraceKind;
    let h = Harness::new();
    h.set_trace(true);
    // n = 5: the third arm, `work(n: p)`, 10 ms.
    let run = h.execute(SameFn, SameFnInput { n: 5 }).await.unwrap();
    let trace = run.trace.unwrap();
    let text = trace.render_text();
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let at = lines.iter().position(|l| *l == "0ns r (work): not taken");
    assert_eq!(
        at.map(|i| &lines[i..i + 4]),
        Some(
            &[
                "0ns r (work): not taken",
                "0ns r (halve): not taken",
                "0ns r (work #2): taken",
                "0ns r: scheduled"
            ][..]
        ),
        "{text}"
    );
    assert_eq!(
        trace.kinds("r (work #2)"),
        [
            &TraceKind::Taken,
            &TraceKind::Scheduled,
            &TraceKind::Started { attempt: 1 },
            &TraceKind::Completed { attempts: 1 },
        ]
    );
    assert_eq!(trace.kinds("r"), trace.kinds("r (work #2)")[1..]);
    assert_eq!(trace.kinds("r (work)"), [&TraceKind::NotTaken]);
    assert_eq!(trace.attempts("r (work #2)"), 1);
    assert_eq!(trace.attempts("r (work)"), 0);
    let ms = Duration::from_millis;
    assert_eq!(trace.started_at("r (work #2)"), Some(ms(0)));
    assert_eq!(trace.finished_at("r (work #2)"), Some(ms(10)));
    assert_eq!(trace.attempt_spans("r (work #2)"), trace.attempt_spans("r"));
    assert_eq!(trace.attempt_spans("r (work #2)").len(), 1);
    assert!(trace.attempt_spans("r (halve)").is_empty());
    // A name no arm has finds nothing, though `r` ran.
    assert!(trace.kinds("r (work #3)").is_empty());
    assert!(trace.kinds("r (wrok)").is_empty());
    // The harness counts each arm under its printed name, and all of them under `r`.
    assert_eq!(h.execution_count("r (work #2)"), 1);
    assert_eq!(h.execution_count("r (work)"), 0);
    assert_eq!(h.execution_count("r (halve)"), 0);
    assert_eq!(h.execution_count("r"), 1);
    h.assert_executed("r (work #2)", 1);
    h.assert_not_executed("r (work)");
    assert_eq!(h.runs_that_called("r (work #2)"), 1);
    // n = 3: the first arm; counts add up per arm.
    h.execute(SameFn, SameFnInput { n: 3 }).await.unwrap();
    assert_eq!(h.execution_count("r (work)"), 1);
    assert_eq!(h.execution_count("r (work #2)"), 1);
    assert_eq!(h.execution_count("SameFn::r (work)"), 1);
    assert_eq!(h.execution_count("r"), 2);
    assert_eq!(h.execution_count("work"), 2);
    assert_eq!(h.runs_that_called("r (halve)"), 0);
    let trace = h.last_trace().unwrap();
    assert_eq!(trace.attempts("r (work)"), 1);
    assert_eq!(trace.kinds("r (work #2)"), [&TraceKind::NotTaken]);
    // In a fan-out's items (the lane driver's decisions), by path.
    let run = h
        .execute(SameFnItems, SameFnItemsInput { ns: vec![5, 3, 8] })
        .await
        .unwrap();
    assert_eq!(run.outputs.out, [4, 6, 4]);
    let trace = run.trace.unwrap();
    assert_eq!(trace.attempts("out[0].r (work #2)"), 1);
    assert_eq!(trace.kinds("out[0].r (work #2)")[0], &TraceKind::Taken);
    assert_eq!(trace.kinds("out[1].r (work #2)"), [&TraceKind::NotTaken]);
    assert_eq!(trace.finished_at("out[1].r (work)"), Some(ms(10)));
    assert_eq!(h.execution_count("out.r (work #2)"), 2);
    assert_eq!(h.execution_count("out[1].r (work)"), 1);
    assert_eq!(h.execution_count("SameFnItems::out.r (halve)"), 0);
    // A wrong rank is still no node.
    let message = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        h.execution_count("r (work #3)")
    }))
    .unwrap_err();
    let message = message.downcast_ref::<String>().unwrap();
    assert!(
        message.contains("no run of this harness has a node called `r (work #3)`"),
        "{message}"
    );
}

// ---- pictures ------------------------------------------------------------------

/// A decision is a rhombus with an edge per arm, labelled by its pattern, to the arm's
/// subgraph; a merge's definitions are nodes of their own, each feeding the consumers.
#[test]
fn mermaid_draws_a_decision_and_a_subgraph_per_arm() {
    assert_eq!(
        <Diamond as Workflow>::MERMAID,
        r#"flowchart LR
    n[/"n: u32"/]
    big["big<br/><small>is_big</small>"]
    left["left<br/><small>add_one</small>"]
    right["right<br/><small>double</small>"]
    joined["joined<br/><small>sum</small>"]
    if_big{"if big"}
    subgraph if_big_arm0["true"]
        a["a<br/><small>slow_step</small>"]
        b["b<br/><small>slow_step</small>"]
        v["v<br/><small>slow_step</small>"]
    end
    subgraph if_big_arm1["false"]
        v__4["v<br/><small>quick</small>"]
    end
    n -->|n| big
    n -->|x| a
    a -->|x| b
    b -->|x| v
    n -->|n| v__4
    v -->|v| left
    v__4 -->|v| left
    v -->|v| right
    v__4 -->|v| right
    left -->|left| joined
    right -->|right| joined
    big --> if_big
    if_big -->|"true"| if_big_arm0
    if_big -->|"false"| if_big_arm1
"#
    );
}

/// In DOT, a decision is a diamond and each arm a cluster (nested arms nest), with a
/// dashed edge labelled by the pattern into each node of the arm.
#[test]
fn dot_draws_a_decision_and_a_cluster_per_arm() {
    assert_eq!(
        <Nested as Workflow>::DOT,
        r#"digraph "Nested" {
    rankdir=LR;
    node [shape=box];
    "n" [shape=parallelogram, label="n: u32"];
    "s" [label="s\nshape"];
    "out" [label="out\nlabel"];
    "side" [label="side\nindependent"];
    "match_s" [shape=diamond, label="match s"];
    subgraph "cluster_match_s_arm0" {
        label="Shape::Point";
        "text" [label="text\npoint_label"];
    }
    subgraph "cluster_match_s_arm1" {
        label="Shape::Line(len)";
        "short" [label="short\nis_short"];
        "if_short" [shape=diamond, label="if short"];
        subgraph "cluster_if_short_arm0" {
            label="true";
            "text__3" [label="text\nshort_label"];
        }
        subgraph "cluster_if_short_arm1" {
            label="false";
            "text__4" [label="text\nlong_label"];
        }
    }
    "n" -> "s" [label="n"];
    "match_s" -> "short" [label="len"];
    "match_s" -> "text__3" [label="len"];
    "match_s" -> "text__4" [label="len"];
    "text" -> "out" [label="text"];
    "text__3" -> "out" [label="text"];
    "text__4" -> "out" [label="text"];
    "n" -> "side" [label="n"];
    "s" -> "match_s";
    "short" -> "if_short";
    "match_s" -> "text" [label="Shape::Point", style=dashed];
    "match_s" -> "short" [label="Shape::Line(len)", style=dashed];
    "match_s" -> "if_short" [label="Shape::Line(len)", style=dashed];
    "if_short" -> "text__3" [label="true", style=dashed];
    "if_short" -> "text__4" [label="false", style=dashed];
}
"#
    );
}

// ---- policies, resources and limits inside arms ---------------------------------------

#[derive(Default)]
struct Flaky {
    attempts: AtomicU32,
}

#[node]
async fn flaky(x: u32, state: Res<Flaky>) -> Result<u32, std::io::Error> {
    if state.attempts.fetch_add(1, Ordering::SeqCst) < 2 {
        return Err(std::io::Error::other("not yet"));
    }
    Ok(x * 10)
}

#[node(timeout = "50ms")]
async fn too_slow(x: u32) -> u32 {
    tokio::time::sleep(Duration::from_millis(100)).await;
    x
}

#[node]
async fn waits_forever(x: u32, ctx: &Context) -> u32 {
    let _ = ctx.wait::<u32>("never").await;
    x
}

#[node]
async fn pick(n: u32) -> u32 {
    n % 3
}

workflow! {
    #[workflow(concurrency = 1)]
    struct Policies {
        input n: u32,
        which = pick(n),
        side = independent(n),
        match which {
            0 => {
                #[retry(max = 3, backoff = "10ms")]
                r = flaky(x: n),
            }
            1 => { r = too_slow(x: n), }
            _ => { r = waits_forever(x: n), }
        }
        out = add_one(v: r),
    }
}

fn policies_harness() -> Harness {
    Harness::builder()
        .resource(Flaky::default())
        .trace(true)
        .build()
}

#[tokio::test(start_paused = true)]
async fn retries_resources_and_the_concurrency_limit_apply_inside_an_arm() {
    let h = policies_harness();
    let run = h.execute(Policies, PoliciesInput { n: 3 }).await.unwrap();
    assert_eq!(run.outputs.out, 31);
    assert_eq!(run.report.node("r").unwrap().attempts, 3);
    // One node at a time: `side` (5ms), then `r` with backoffs of 10ms and 20ms.
    assert_eq!(run.duration(), Duration::from_millis(35));
    let trace = h.last_trace().unwrap();
    assert!(!trace.overlapped("side", "r"));
    h.assert_not_taken("too_slow");
    h.assert_not_taken("waits_forever");
}

#[tokio::test(start_paused = true)]
async fn a_timeout_inside_an_arm_names_the_node() {
    let h = policies_harness();
    let err = h
        .execute(Policies, PoliciesInput { n: 4 })
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            WorkflowError::Timeout {
                scope: workflow_core::TimeoutScope::Node(node),
                ..
            } if node == "r"
        ),
        "{err:?}"
    );
    h.assert_not_taken("flaky");
}

#[tokio::test(start_paused = true)]
async fn the_live_snapshot_shows_not_taken_and_a_deadlock_inside_an_arm_is_detected() {
    let h = policies_harness();
    let run = tokio::spawn(h.execute(Policies, PoliciesInput { n: 4 }));
    // One node at a time: the decision is made once `side` is done (at 5ms).
    tokio::time::sleep(Duration::from_millis(6)).await;
    let live = h.live_runs();
    let states: Vec<(&str, NodeStatus)> =
        live[0].nodes.iter().map(|n| (n.name, n.status)).collect();
    assert_eq!(
        states,
        [
            ("which", NodeStatus::Succeeded),
            ("side", NodeStatus::Succeeded),
            ("r", NodeStatus::NotTaken),
            ("r", NodeStatus::Running),
            ("r", NodeStatus::NotTaken),
            ("out", NodeStatus::NotStarted),
            ("match_which", NodeStatus::Succeeded),
        ]
    );
    h.assert_timeout(run.await.unwrap());
    // The only live node waits on a key nobody publishes: a deadlock, at once.
    let report = h.assert_deadlock(h.execute(Policies, PoliciesInput { n: 5 }).await);
    assert_eq!(report.kind, workflow_core::DeadlockKind::AllWaiting);
    let waiting: Vec<(&str, Option<&str>)> = report
        .waiting
        .iter()
        .map(|w| (&*w.node, w.waits_for.as_deref()))
        .collect();
    assert_eq!(waiting, [("r", Some("never"))]);
}

// ---- shapes: an input matched, `_ => {}`, `if` without `else`, a sink in one arm --------

#[node]
async fn note(v: u32) -> String {
    format!("note {v}")
}

workflow! {
    struct Shapes {
        input n: u32,
        input loud: bool,
        match n {
            0 => {}
            _ => { first = add_one(v: n), }
        }
        if loud {
            shouted = note(v: n),
        }
        tail = or_zero(v: first?),
    }
}

#[node]
async fn or_zero(v: Option<u32>) -> u32 {
    v.unwrap_or_default()
}

#[tokio::test(start_paused = true)]
async fn an_input_matched_an_empty_arm_an_if_without_else_and_a_sink_in_one_arm() {
    let rt = Runtime::new();
    let run = rt
        .execute(Shapes, ShapesInput { n: 0, loud: false })
        .await
        .unwrap();
    // `shouted` is a sink bound in one arm: an `Option` in the output struct.
    assert_eq!(run.outputs.shouted, None);
    assert_eq!(run.outputs.tail, 0);
    assert_eq!(
        run.report.node("first").unwrap().status,
        NodeStatus::NotTaken
    );
    let run = rt
        .execute(Shapes, ShapesInput { n: 4, loud: true })
        .await
        .unwrap();
    assert_eq!(run.outputs.shouted.as_deref(), Some("note 4"));
    assert_eq!(run.outputs.tail, 5);
}

// ---- the `tracing` log and the Chrome export -------------------------------------------

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct LogBuffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn not_taken_nodes_are_logged_and_exported() {
    crate::own_process::run_alone("routing::inner_not_taken_nodes_are_logged_and_exported");
}

#[tokio::test(start_paused = true)]
#[ignore = "installs a subscriber: not_taken_nodes_are_logged_and_exported runs it alone"]
async fn inner_not_taken_nodes_are_logged_and_exported() {
    let log = LogBuffer::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let run = Runtime::new()
        .execute_with(
            Diamond,
            DiamondInput { n: 1 },
            RunOptions::new().trace(true),
        )
        .await
        .unwrap();
    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    let not_taken: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("node not taken"))
        .collect();
    assert_eq!(not_taken.len(), 3, "{text}");
    assert!(not_taken.iter().any(|l| l.contains("node=\"a\"")), "{text}");
    let chrome = run.trace.unwrap().to_chrome_json();
    assert_eq!(chrome.matches("\"not taken\"").count(), 3, "{chrome}");
}

// ---- `failure = "continue"`: a failure before the decision, used by an arm not taken ---

#[node]
async fn broken() -> Result<u32, std::io::Error> {
    Err(std::io::Error::other("broken"))
}

#[node]
async fn slow_pick(n: u32) -> bool {
    tokio::time::sleep(Duration::from_millis(10)).await;
    n > 0
}

workflow! {
    #[workflow(failure = "continue")]
    struct EarlyFailure {
        input n: u32,
        p = broken(),
        go = slow_pick(n),
        if go {
            m = quick(n),
        } else {
            m = add_one(v: p),
        }
        after = double(v: m),
    }
}

#[tokio::test(start_paused = true)]
async fn a_failure_only_an_arm_not_taken_needs_does_not_stop_the_merge() {
    // `p` fails at once, before the decision; the arm that uses it is not taken, so
    // `after` runs (the static plan decides, not the order of events).
    let h = Harness::new();
    let err = h
        .execute(EarlyFailure, EarlyFailureInput { n: 1 })
        .await
        .unwrap_err();
    assert!(
        matches!(&err, WorkflowError::NodeFailed { node, .. } if node == "p"),
        "{err:?}"
    );
    let record = h.last_run().unwrap();
    let status = |n: &str| record.node(n).unwrap().status;
    assert_eq!(status("after"), NodeStatus::Succeeded);
    assert_eq!(status("add_one"), NodeStatus::NotTaken);
    h.assert_executed("after", 1);
    // The arm that needs `p` taken: it and what follows are skipped.
    let _ = h.execute(EarlyFailure, EarlyFailureInput { n: 0 }).await;
    let record = h.last_run().unwrap();
    let status = |n: &str| record.node(n).unwrap().status;
    assert_eq!(status("add_one"), NodeStatus::Skipped);
    assert_eq!(status("quick"), NodeStatus::NotTaken);
    assert_eq!(status("after"), NodeStatus::Skipped);
}

/// The packed successor table a run reads (`Plan::next_of`) names each node's
/// successors as its `NodeSpec` does, routers (after the bindings) included.
fn packed_successors_match<W: workflow_core::Workflow>() {
    for (i, node) in W::PLAN.nodes.iter().enumerate() {
        let packed: Vec<usize> = W::PLAN.next_of(i).iter().map(|&s| s as usize).collect();
        assert_eq!(packed, node.successors, "successors of `{}`", node.name);
    }
    assert!(W::PLAN.next_of(W::PLAN.nodes.len()).is_empty());
}

#[test]
fn the_packed_successor_table_matches_the_node_specs() {
    packed_successors_match::<Checkout>();
    packed_successors_match::<Diamond>();
    packed_successors_match::<Nested>();
    packed_successors_match::<NestedContinue>();
    packed_successors_match::<Shapes>();
}

#[node]
async fn region_of(country: String) -> String {
    match country.as_str() {
        "DE" | "FR" => "eu".to_string(),
        "GB" => "uk".to_string(),
        _ => "other".to_string(),
    }
}

#[node]
async fn ship_eu(total: u32) -> String {
    format!("{total} from Leipzig")
}

#[node]
async fn ship_uk(total: u32) -> String {
    format!("{total} from Leeds")
}

#[node]
async fn ship_other(total: u32) -> String {
    format!("{total} from Reno")
}

#[node]
async fn code(country: String) -> &'static str {
    if country == "GB" {
        "gb"
    } else {
        "xx"
    }
}

#[node]
async fn flag(code: &'static str) -> u32 {
    code.len() as u32
}

#[node]
async fn customs(flag: Option<u32>) -> u32 {
    flag.unwrap_or(0)
}

workflow! {
    /// A `match` on a `String` binding with string-literal arms, as plain Rust would
    /// write `match region.as_str()`; and one on a `&'static str`.
    struct Shipping {
        input country: String,
        input total: u32,
        region = region_of(country),
        match region {
            "eu" => { label = ship_eu(total), }
            "uk" | "ie" => { label = ship_uk(total), }
            _ => { label = ship_other(total), }
        }
        c = code(country),
        match c {
            "gb" => { f = flag(code: c), }
            _ => {}
        }
        duty = customs(flag: f?),
    }
}

#[tokio::test]
async fn a_match_on_a_string_routes_by_its_literal_arms() {
    let h = Harness::new();
    let cases = [
        ("FR", "5 from Leipzig", 0),
        ("GB", "5 from Leeds", 2),
        ("US", "5 from Reno", 0),
    ];
    for (country, label, duty) in cases {
        let input = ShippingInput {
            country: country.into(),
            total: 5,
        };
        let run = h.execute(Shipping, input).await.unwrap();
        assert_eq!(run.outputs.label, label, "{country}");
        assert_eq!(run.outputs.duty, duty, "{country}");
    }
    // Each run took one arm of the first `match`, and one run the `"gb"` arm.
    h.assert_executed("label", 3);
    h.assert_executed("f", 1);
}
