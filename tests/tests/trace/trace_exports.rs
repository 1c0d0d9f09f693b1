//! Trace exports: Chrome trace event JSON (Perfetto), Mermaid Gantt charts, and the
//! `serde::Serialize` form of traces, reports and snapshots (default `serde` feature).

use std::time::Duration;

use serde_json::{json, Value};
use workflow_core::prelude::*;
use workflow_core::ExecutionTrace;
use workflow_core::RunOutcome;

#[derive(Debug, thiserror::Error)]
#[error("flaky: \"{0}\" failed\n(see logs)")]
struct Flaky(u32);

#[node]
async fn fetch(ctx: &Context) -> u32 {
    tokio::time::sleep(Duration::from_millis(10)).await;
    ctx.emit("quote \" backslash \\ newline \n tab \t bell \u{7} é ✓");
    7
}

/// Fails twice (20 ms each), backoff 5 ms then 10 ms.
#[node(retry(max = 3, backoff = "5ms"))]
async fn parse(raw: u32, ctx: &Context) -> Result<u32, Flaky> {
    tokio::time::sleep(Duration::from_millis(20)).await;
    if ctx.attempt() < 3 {
        Err(Flaky(ctx.attempt()))
    } else {
        Ok(raw * 2)
    }
}

#[node]
async fn index(raw: u32) -> u32 {
    tokio::time::sleep(Duration::from_millis(30)).await;
    raw + 1
}

#[node]
async fn store(parsed: u32, indexed: u32) -> u32 {
    tokio::time::sleep(Duration::from_millis(5)).await;
    parsed + indexed
}

workflow! {
    struct Pipeline {
        input url: String,
        raw = fetch(),
        parsed = parse(raw),
        indexed = index(raw),
        #[output]
        stored = store(parsed, indexed),
        echo = echo_url(url),
    }
}

#[node]
async fn echo_url(url: String) -> String {
    url
}

async fn pipeline_trace() -> ExecutionTrace {
    let run = Runtime::new()
        .execute_with(
            Pipeline,
            PipelineInput { url: "x".into() },
            RunOptions::new().trace(true),
        )
        .await
        .expect("run succeeds");
    assert_eq!(run.outputs.stored, 22);
    run.trace.expect("traced")
}

fn events(json: &Value) -> &Vec<Value> {
    json["traceEvents"].as_array().expect("traceEvents array")
}

fn us(ms: u64) -> f64 {
    (ms * 1000) as f64
}

#[tokio::test(start_paused = true)]
async fn chrome_json_is_valid_with_one_complete_event_per_attempt() {
    let trace = pipeline_trace().await;
    let text = trace.to_chrome_json();
    let json: Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(json["otherData"]["workflow"], "Pipeline");
    assert_eq!(json["otherData"]["run_id"], trace.run_id);

    let node_spans: Vec<&Value> = events(&json)
        .iter()
        .filter(|e| e["ph"] == "X" && e["cat"] == "node")
        .collect();
    let attempts: u32 = ["raw", "parsed", "indexed", "stored", "echo"]
        .iter()
        .map(|n| trace.attempts(n))
        .sum();
    assert_eq!(attempts, 7, "parse ran three times, the others once");
    assert_eq!(node_spans.len(), 7);
    assert_eq!(node_spans.len(), trace.all_attempt_spans().len());

    // Exact times (microseconds) under the paused clock.
    let parsed: Vec<(f64, f64, &str)> = node_spans
        .iter()
        .filter(|e| e["name"] == "parsed")
        .map(|e| {
            (
                e["ts"].as_f64().unwrap(),
                e["dur"].as_f64().unwrap(),
                e["args"]["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        parsed,
        [
            (us(10), us(20), "failed"),
            (us(35), us(20), "failed"),
            (us(65), us(20), "completed"),
        ]
    );
    let attempts_of_parsed: Vec<u64> = node_spans
        .iter()
        .filter(|e| e["name"] == "parsed")
        .map(|e| e["args"]["attempt"].as_u64().unwrap())
        .collect();
    assert_eq!(attempts_of_parsed, [1, 2, 3]);

    // The run is one more complete event covering everything.
    let run: Vec<&Value> = events(&json)
        .iter()
        .filter(|e| e["ph"] == "X" && e["cat"] == "run")
        .collect();
    assert_eq!(run.len(), 1);
    assert_eq!(run[0]["name"], "Pipeline");
    assert_eq!(run[0]["dur"].as_f64(), Some(us(90)));

    // Every event carries the fields the viewers need.
    for e in events(&json) {
        assert!(
            e["ph"].is_string() && e["pid"].is_u64() && e["tid"].is_u64(),
            "{e}"
        );
        if e["ph"] != "M" {
            assert!(e["ts"].is_f64() && e["name"].is_string(), "{e}");
        }
    }
    // Rows: each node keeps one tid, distinct from the others and from the run (0).
    let tid_of = |name: &str| -> Vec<u64> {
        let mut t: Vec<u64> = node_spans
            .iter()
            .filter(|e| e["name"] == name)
            .map(|e| e["tid"].as_u64().unwrap())
            .collect();
        t.dedup();
        t
    };
    assert_eq!(tid_of("parsed").len(), 1);
    assert_ne!(tid_of("parsed"), tid_of("indexed"));
    assert!(!tid_of("raw").contains(&0));
    let thread_names: Vec<&str> = events(&json)
        .iter()
        .filter(|e| e["ph"] == "M" && e["name"] == "thread_name")
        .map(|e| e["args"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        thread_names,
        ["run", "raw", "echo", "parsed", "indexed", "stored"]
    );
}

#[tokio::test(start_paused = true)]
async fn chrome_json_instant_events_keep_their_text() {
    let trace = pipeline_trace().await;
    let json: Value = serde_json::from_str(&trace.to_chrome_json()).expect("valid JSON");
    let instants: Vec<&Value> = events(&json).iter().filter(|e| e["ph"] == "i").collect();

    let custom: Vec<&Value> = instants
        .iter()
        .copied()
        .filter(|e| e["cat"] == "custom")
        .collect();
    assert_eq!(custom.len(), 1);
    let message = "quote \" backslash \\ newline \n tab \t bell \u{7} é ✓";
    assert_eq!(custom[0]["name"], message);
    assert_eq!(custom[0]["args"]["message"], message);
    assert_eq!(custom[0]["ts"].as_f64(), Some(us(10)));

    let retries: Vec<&Value> = instants
        .iter()
        .copied()
        .filter(|e| e["name"] == "retrying")
        .collect();
    assert_eq!(retries.len(), 2);
    assert_eq!(
        retries[0]["args"]["error"],
        "flaky: \"1\" failed\n(see logs)"
    );
    assert_eq!(retries[0]["args"]["delay_us"].as_f64(), Some(us(5)));
    assert_eq!(retries[1]["args"]["delay_us"].as_f64(), Some(us(10)));
    assert_eq!(retries[1]["ts"].as_f64(), Some(us(55)));
    for e in &instants {
        assert_eq!(e["s"], "t", "thread-scoped instant: {e}");
    }
}

#[tokio::test(start_paused = true)]
async fn chrome_json_snapshot_of_a_single_node_run() {
    #[node]
    async fn one() -> u8 {
        tokio::time::sleep(Duration::from_millis(2)).await;
        1
    }
    workflow! {
        struct One {
            a = one(),
        }
    }
    let run = Runtime::new()
        .execute_with(One, OneInput {}, RunOptions::new().trace(true))
        .await
        .unwrap();
    let trace = run.trace.unwrap();
    let id = trace.run_id;
    let expected = format!(
        r#"{{"displayTimeUnit":"ms","otherData":{{"workflow":"One","run_id":{id}}},"traceEvents":[
{{"name":"process_name","ph":"M","pid":1,"tid":0,"args":{{"name":"One (run {id})"}}}},
{{"name":"thread_name","ph":"M","pid":1,"tid":0,"args":{{"name":"run"}}}},
{{"name":"thread_sort_index","ph":"M","pid":1,"tid":0,"args":{{"sort_index":0}}}},
{{"name":"thread_name","ph":"M","pid":1,"tid":1,"args":{{"name":"a"}}}},
{{"name":"thread_sort_index","ph":"M","pid":1,"tid":1,"args":{{"sort_index":1}}}},
{{"name":"One","cat":"run","ph":"X","pid":1,"tid":0,"ts":0.000,"dur":2000.000,"args":{{"run_id":{id},"outcome":"completed"}}}},
{{"name":"a","cat":"node","ph":"X","pid":1,"tid":1,"ts":0.000,"dur":2000.000,"cname":"good","args":{{"attempt":1,"outcome":"completed"}}}},
{{"name":"run started","cat":"run","ph":"i","pid":1,"tid":0,"ts":0.000,"s":"t","args":{{}}}},
{{"name":"scheduled","cat":"schedule","ph":"i","pid":1,"tid":1,"ts":0.000,"s":"t","args":{{}}}},
{{"name":"run completed","cat":"run","ph":"i","pid":1,"tid":0,"ts":2000.000,"s":"t","args":{{}}}}
]}}
"#
    );
    // The same JSON document as the exporter has always written (key order and number
    // formatting aside).
    let actual: Value = serde_json::from_str(&trace.to_chrome_json()).expect("valid JSON");
    let expected: Value = serde_json::from_str(&expected).expect("valid expected JSON");
    assert_eq!(actual, expected);
}

#[tokio::test(start_paused = true)]
async fn mermaid_gantt_snapshot() {
    let trace = pipeline_trace().await;
    let id = trace.run_id;
    let expected = format!(
        "\
gantt
    title Pipeline (run {id})
    dateFormat x
    axisFormat %L ms
    section raw
    raw :done, 0, 10
    section echo
    echo :done, 0, 0
    section parsed
    parsed attempt 1 (failed) :crit, 10, 30
    parsed attempt 2 (failed) :crit, 35, 55
    parsed attempt 3 :done, 65, 85
    section indexed
    indexed :done, 10, 40
    section stored
    stored :done, 85, 90
"
    );
    assert_eq!(trace.to_mermaid_gantt(), expected);
}

#[derive(Debug, thiserror::Error)]
#[error("down")]
struct Down;

#[node]
async fn fails_at_20() -> Result<u8, Down> {
    tokio::time::sleep(Duration::from_millis(20)).await;
    Err(Down)
}

#[node]
async fn sleeps_100() -> u8 {
    tokio::time::sleep(Duration::from_millis(100)).await;
    1
}

workflow! {
    struct Broken {
        bad = fails_at_20(),
        slow = sleeps_100(),
    }
}

#[tokio::test(start_paused = true)]
async fn exports_of_a_failed_run_show_failure_and_cancellation() {
    let RunOutcome { result, trace, .. } = Runtime::new()
        .execute_report(Broken, BrokenInput {}, RunOptions::new().trace(true))
        .await;
    assert!(result.is_err());
    let trace = trace.unwrap();
    let id = trace.run_id;
    assert_eq!(
        trace.to_mermaid_gantt(),
        format!(
            "\
gantt
    title Broken (run {id})
    dateFormat x
    axisFormat %L ms
    section bad
    bad (failed) :crit, 0, 20
    section slow
    slow (cancelled) :active, 0, 20
"
        )
    );
    let json: Value = serde_json::from_str(&trace.to_chrome_json()).unwrap();
    let outcomes: Vec<(&str, &str)> = events(&json)
        .iter()
        .filter(|e| e["ph"] == "X")
        .map(|e| {
            (
                e["name"].as_str().unwrap(),
                e["args"]["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            ("Broken", "failed"),
            ("bad", "failed"),
            ("slow", "cancelled")
        ]
    );
    let failed = events(&json)
        .iter()
        .find(|e| e["name"] == "failed")
        .expect("a failed instant");
    assert_eq!(failed["args"]["error"], "down");
    assert_eq!(failed["args"]["attempts"], 1);
}

#[test]
fn an_empty_trace_still_exports() {
    let trace = ExecutionTrace::default();
    let json: Value = serde_json::from_str(&trace.to_chrome_json()).unwrap();
    assert_eq!(events(&json).iter().filter(|e| e["ph"] == "X").count(), 1);
    assert!(trace.to_mermaid_gantt().starts_with("gantt\n"));
    assert_eq!(trace.render_text(), "");
}

#[node]
async fn tick(ms_: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(ms_)).await;
    ms_
}

workflow! {
    struct Keywords {
        input ms_: u64,
        title = tick(ms_),
        section = tick(ms_: title),
        click = tick(ms_: section),
    }
}

#[tokio::test(start_paused = true)]
async fn gantt_task_names_never_read_as_directives() {
    let run = Runtime::new()
        .execute_with(
            Keywords,
            KeywordsInput { ms_: 3 },
            RunOptions::new().trace(true),
        )
        .await
        .unwrap();
    let trace = run.trace.unwrap();
    let id = trace.run_id;
    // A line starting with `title `, `section ` or `click ` is a directive in Mermaid.
    assert_eq!(
        trace.to_mermaid_gantt(),
        format!(
            "\
gantt
    title Keywords (run {id})
    dateFormat x
    axisFormat %L ms
    section title
    title_ :done, 0, 3
    section section
    section_ :done, 3, 6
    section click
    click_ :done, 6, 9
"
        )
    );
}

// ---- serde: traces, reports and snapshots as data ------------------------------------

/// serde's form of a `Duration`.
fn dur(ms: u64) -> Value {
    json!({ "secs": ms / 1000, "nanos": (ms % 1000) * 1_000_000 })
}

#[tokio::test(start_paused = true)]
async fn a_failed_runs_report_serializes_with_every_node() {
    let RunOutcome { result, report, .. } = Runtime::new()
        .execute_report(Broken, BrokenInput {}, RunOptions::new())
        .await;
    assert!(result.is_err());
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(
        json,
        json!({
            "workflow": "Broken",
            "run_id": report.run_id,
            "duration": dur(20),
            "nodes": [
                {
                    "name": "bad",
                    "node_fn": "fails_at_20",
                    "status": "failed",
                    "attempts": 1,
                    "duration": dur(20),
                    "started_at": dur(0),
                },
                {
                    "name": "slow",
                    "node_fn": "sleeps_100",
                    "status": "cancelled",
                    "attempts": 1,
                    "duration": dur(20),
                    "started_at": dur(0),
                },
            ],
        })
    );
}

#[tokio::test(start_paused = true)]
async fn a_trace_serializes_event_by_event() {
    let trace = pipeline_trace().await;
    let json = serde_json::to_value(&trace).unwrap();
    assert_eq!(json["workflow"], "Pipeline");
    assert_eq!(json["run_id"], trace.run_id);
    let events = json["events"].as_array().unwrap();
    assert_eq!(events.len(), trace.len());
    for (value, event) in events.iter().zip(&trace) {
        // Every kind is tagged with its name in snake case.
        assert_eq!(
            value["kind"]["type"],
            event.kind.name().replace(' ', "_"),
            "{value}"
        );
        assert_eq!(value["node"].as_str(), event.node.as_deref(), "{value}");
    }
    assert_eq!(
        events[0],
        json!({ "at": dur(0), "node": null, "kind": { "type": "run_started" } })
    );
    let retry = events
        .iter()
        .find(|e| e["kind"]["type"] == "retrying")
        .expect("parse was retried");
    assert_eq!(
        retry,
        &json!({
            "at": dur(30),
            "node": "parsed",
            "kind": {
                "type": "retrying",
                "attempt": 1,
                "delay": dur(5),
                "error": "flaky: \"1\" failed\n(see logs)",
            },
        })
    );
    let custom = events
        .iter()
        .find(|e| e["kind"]["type"] == "custom")
        .expect("a custom event");
    assert_eq!(
        custom["kind"]["message"],
        "quote \" backslash \\ newline \n tab \t bell \u{7} é ✓"
    );
    assert_eq!(
        events.last().unwrap()["kind"],
        json!({ "type": "run_completed" })
    );

    // Attempt spans, for a timeline of one's own.
    let spans = serde_json::to_value(trace.all_attempt_spans()).unwrap();
    assert_eq!(
        spans.as_array().unwrap()[..2],
        [
            json!({ "node": "echo", "attempt": 1, "start": dur(0), "end": dur(0), "outcome": "completed" }),
            json!({ "node": "raw", "attempt": 1, "start": dur(0), "end": dur(10), "outcome": "completed" }),
        ]
    );
}

#[node]
async fn gate(ctx: &Context) -> u8 {
    ctx.wait_signal("go").await;
    1
}

#[node]
async fn opener(ctx: &Context) -> u8 {
    tokio::time::sleep(Duration::from_millis(10)).await;
    ctx.signal("go");
    2
}

workflow! {
    struct Gated {
        g = gate(),
        o = opener(),
    }
}

#[tokio::test(start_paused = true)]
async fn a_live_snapshot_serializes_what_each_node_waits_for() {
    let handles = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = handles.clone();
    let rt = Runtime::builder()
        .trace(true)
        .monitor(move |h| seen.lock().unwrap().push(h))
        .build();
    let run = tokio::spawn(rt.execute(Gated, GatedInput {}));
    tokio::time::sleep(Duration::from_millis(5)).await;
    let handle = handles.lock().unwrap()[0].clone();
    let snapshot = handle.snapshot().expect("the run is live");
    let json = serde_json::to_value(&snapshot).unwrap();
    assert_eq!(json["workflow"], "Gated");
    assert_eq!(
        json["nodes"],
        json!([
            { "name": "g", "status": "running", "waits_for": "go" },
            { "name": "o", "status": "running", "waits_for": null },
        ])
    );
    let events = json["trace"]["events"].as_array().unwrap();
    assert!(
        events.contains(
            &json!({ "at": dur(0), "node": "g", "kind": { "type": "waiting", "key": "go" } })
        ),
        "{events:?}"
    );
    run.await.unwrap().unwrap();

    let shutdown = serde_json::to_value(rt.shutdown().await).unwrap();
    assert_eq!(
        shutdown,
        json!({
            "runs_still_active": 0,
            "cancelled": [],
            "cleaned": [],
            "cleanup_panics": [],
            "cleanup_timed_out": []
        })
    );
}
