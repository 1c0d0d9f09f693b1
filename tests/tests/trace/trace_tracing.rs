//! The `tracing` integration: spans per run and per node attempt, events for retries,
//! timeouts, failures and cancellation; silent without a subscriber.

use std::fmt::Debug;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context as LayerContext, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;
use workflow_core::prelude::*;

/// A span or event as the capturing layer saw it.
#[derive(Debug, Clone)]
struct Record {
    /// `span` or `event`.
    what: &'static str,
    /// The span name, or the event's message.
    name: String,
    level: Level,
    target: String,
    /// Fields as `name=value` (Debug formatting).
    fields: Vec<(String, String)>,
    /// Names of the enclosing spans, outermost first.
    scope: Vec<String>,
}

impl Record {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct FieldsVisitor(Vec<(String, String)>);

impl Visit for FieldsVisitor {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.push((field.name().to_owned(), format!("{value:?}")));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push((field.name().to_owned(), value.to_owned()));
    }
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Record>>>);

impl Capture {
    fn records(&self) -> Vec<Record> {
        self.0.lock().unwrap().clone()
    }
    fn spans(&self, name: &str) -> Vec<Record> {
        self.records()
            .into_iter()
            .filter(|r| r.what == "span" && r.name == name)
            .collect()
    }
    fn events(&self, message: &str) -> Vec<Record> {
        self.records()
            .into_iter()
            .filter(|r| r.what == "event" && r.name == message)
            .collect()
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: LayerContext<'_, S>) {
        let mut v = FieldsVisitor::default();
        attrs.record(&mut v);
        let mut scope: Vec<String> = ctx
            .span_scope(id)
            .map(|s| s.from_root().map(|s| s.name().to_owned()).collect())
            .unwrap_or_default();
        scope.pop(); // the span itself
        self.0.lock().unwrap().push(Record {
            what: "span",
            name: attrs.metadata().name().to_owned(),
            level: *attrs.metadata().level(),
            target: attrs.metadata().target().to_owned(),
            fields: v.0,
            scope,
        });
    }

    fn on_event(&self, event: &Event<'_>, ctx: LayerContext<'_, S>) {
        let mut v = FieldsVisitor::default();
        event.record(&mut v);
        let message =
            v.0.iter()
                .position(|(k, _)| k == "message")
                .map(|i| v.0.remove(i).1)
                .unwrap_or_default();
        let scope = ctx
            .event_scope(event)
            .map(|s| s.from_root().map(|s| s.name().to_owned()).collect())
            .unwrap_or_default();
        self.0.lock().unwrap().push(Record {
            what: "event",
            name: message,
            level: *event.metadata().level(),
            target: event.metadata().target().to_owned(),
            fields: v.0,
            scope,
        });
    }
}

/// Installs a capturing subscriber on this thread (tests run on a current-thread
/// runtime, so every poll of the run happens here).
fn capture() -> (Capture, tracing::subscriber::DefaultGuard) {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry().with(capture.clone());
    let guard = tracing::subscriber::set_default(subscriber);
    (capture, guard)
}

#[derive(Debug, thiserror::Error)]
#[error("flaky attempt {0}")]
struct Flaky(u32);

#[node(retry(max = 3, backoff = "10ms"))]
async fn flaky(ctx: &Context) -> Result<u32, Flaky> {
    if ctx.attempt() < 3 {
        Err(Flaky(ctx.attempt()))
    } else {
        ctx.emit("third time lucky");
        Ok(3)
    }
}

/// A lean node (no policy): its span is entered by the executor, not by a wrapper.
#[node]
async fn double(x: u32) -> u32 {
    tracing::info!(x, "doubling");
    tokio::task::yield_now().await; // the span is entered again on the second poll
    tracing::info!(x, "doubled");
    x * 2
}

workflow! {
    struct Retried {
        a = flaky(),
        b = double(x: a),
    }
}

#[tokio::test(start_paused = true)]
async fn spans_per_run_and_per_attempt() {
    let (cap, _guard) = capture();
    let run = Runtime::new()
        .execute(Retried, RetriedInput {})
        .await
        .unwrap();
    assert_eq!(run.outputs.b, 6);

    let runs = cap.spans("workflow");
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].target, "workflow");
    assert_eq!(runs[0].level, Level::INFO);
    assert_eq!(runs[0].field("workflow"), Some("Retried"));
    assert_eq!(
        runs[0].field("run_id"),
        Some(run.run_id().to_string().as_str())
    );

    let nodes = cap.spans("node");
    let attempts: Vec<(&str, &str, &str)> = nodes
        .iter()
        .map(|s| {
            (
                s.field("node").unwrap(),
                s.field("node_fn").unwrap(),
                s.field("attempt").unwrap(),
            )
        })
        .collect();
    assert_eq!(
        attempts,
        [
            ("a", "flaky", "1"),
            ("a", "flaky", "2"),
            ("a", "flaky", "3"),
            ("b", "double", "1")
        ]
    );
    for s in &nodes {
        assert_eq!(
            s.scope,
            ["workflow"],
            "node spans are children of the run span"
        );
    }

    let retries = cap.events("node attempt failed; retrying");
    assert_eq!(retries.len(), 2);
    assert_eq!(retries[0].level, Level::WARN);
    assert_eq!(retries[0].field("node"), Some("a"));
    assert_eq!(retries[0].field("attempt"), Some("1"));
    assert_eq!(retries[0].field("error"), Some("flaky attempt 1"));
    assert_eq!(retries[1].field("delay"), Some("20ms"));
    assert_eq!(retries[0].scope, ["workflow"]);

    let custom = cap.events("third time lucky");
    assert_eq!(custom.len(), 1);
    assert_eq!(custom[0].level, Level::INFO);
    assert_eq!(custom[0].field("node"), Some("a"));
    assert_eq!(
        custom[0].scope,
        ["workflow", "node"],
        "emitted inside the attempt"
    );

    for message in ["doubling", "doubled"] {
        let inside = cap.events(message);
        assert_eq!(inside.len(), 1, "{message}");
        assert_eq!(
            inside[0].scope,
            ["workflow", "node"],
            "`{message}` is inside the lean node's span"
        );
    }

    assert_eq!(cap.events("node completed").len(), 2);
    assert_eq!(cap.events("run completed").len(), 1);
    assert!(cap.events("node failed").is_empty());
}

#[derive(Debug, thiserror::Error)]
#[error("broken")]
struct Broken;

#[node]
async fn breaks() -> Result<u8, Broken> {
    tokio::time::sleep(Duration::from_millis(5)).await;
    Err(Broken)
}

#[node]
async fn lingers() -> u8 {
    tokio::time::sleep(Duration::from_secs(1)).await;
    1
}

workflow! {
    struct Failing {
        bad = breaks(),
        slow = lingers(),
    }
}

#[tokio::test(start_paused = true)]
async fn failure_and_cancelled_siblings_are_events() {
    let (cap, _guard) = capture();
    let err = Runtime::new()
        .execute(Failing, FailingInput {})
        .await
        .unwrap_err();
    let failed = cap.events("node failed");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].level, Level::WARN);
    assert_eq!(failed[0].field("node"), Some("bad"));
    assert_eq!(failed[0].field("attempts"), Some("1"));
    let cancelled = cap.events("node cancelled");
    assert_eq!(cancelled.len(), 1);
    assert_eq!(cancelled[0].field("node"), Some("slow"));
    let run_failed = cap.events("run failed");
    assert_eq!(run_failed.len(), 1);
    assert_eq!(
        run_failed[0].scope,
        ["workflow"],
        "run events are inside the run span"
    );
    assert_eq!(run_failed[0].field("error"), Some(err.to_string().as_str()));
}

#[node(
    timeout = "50ms",
    retry(max = 2, backoff = "1ms", retry_timeouts = true)
)]
async fn hangs() -> u8 {
    tokio::time::sleep(Duration::from_secs(10)).await;
    0
}

workflow! {
    struct Hanging {
        h = hangs(),
    }
}

#[tokio::test(start_paused = true)]
async fn timeouts_are_events() {
    let (cap, _guard) = capture();
    let err = Runtime::new()
        .execute(Hanging, HangingInput {})
        .await
        .unwrap_err();
    assert!(matches!(err, WorkflowError::Timeout { .. }), "{err}");
    let timeouts = cap.events("node attempt timed out");
    assert_eq!(timeouts.len(), 2, "one per attempt");
    assert_eq!(timeouts[0].level, Level::WARN);
    assert_eq!(timeouts[0].field("limit"), Some("50ms"));
    assert_eq!(timeouts[1].field("attempt"), Some("2"));
    assert_eq!(cap.events("node attempt failed; retrying").len(), 1);
    assert_eq!(cap.events("node failed").len(), 1);
}

workflow! {
    #[workflow(timeout = "100ms")]
    struct Overdue {
        s = lingers(),
    }
}

#[tokio::test(start_paused = true)]
async fn workflow_timeout_is_an_event() {
    let (cap, _guard) = capture();
    Runtime::new()
        .execute(Overdue, OverdueInput {})
        .await
        .unwrap_err();
    let timed_out = cap.events("run timed out");
    assert_eq!(timed_out.len(), 1);
    assert_eq!(timed_out[0].level, Level::WARN);
    assert_eq!(cap.events("node cancelled").len(), 1);
    assert!(cap.events("run failed").is_empty());
}

workflow! {
    struct Cancellable {
        s = lingers(),
    }
}

#[tokio::test(start_paused = true)]
async fn cancellation_is_an_event() {
    let (cap, _guard) = capture();
    let token = CancellationToken::new();
    let trigger = token.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(10)).await;
        trigger.cancel();
    });
    let err = Runtime::new()
        .execute_with(
            Cancellable,
            CancellableInput {},
            RunOptions::new().cancel_token(token),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, WorkflowError::Cancelled { .. }), "{err}");
    let cancelled = cap.events("run cancelled");
    assert_eq!(cancelled.len(), 1);
    assert_eq!(cancelled[0].field("workflow"), Some("Cancellable"));
    assert_eq!(cap.events("node cancelled").len(), 1);
}

/// An item's node, inline (no policy).
#[node]
async fn item_plain(x: u32) -> u32 {
    tokio::time::sleep(Duration::from_millis(u64::from(x))).await;
    x
}

/// An item's node with a retry policy (supervised): fails its first attempt.
#[node(retry(max = 2, backoff = "1ms"))]
async fn item_retried(x: u32, ctx: &Context) -> Result<u32, Flaky> {
    if ctx.attempt() == 1 {
        return Err(Flaky(x));
    }
    Ok(x)
}

/// An item's node on its own task.
#[node(spawn)]
async fn item_spawned(x: u32) -> u32 {
    x + 1
}

workflow! {
    struct SpanLeaf {
        input v: u32,
        leaf = item_plain(x: v),
    }
}

workflow! {
    struct ItemSpans {
        input xs: Vec<u32>,
        input v: u32,
        ys = for x in xs {
            p = item_plain(x),
            r = item_retried(x: p),
            s = item_spawned(x: r),
        } => s,
        sub = SpanLeaf(v),
    }
}

/// A subscriber tells a fan-out's items and a sub-workflow's nodes apart by the `node`
/// field of their spans: it is the node's path (`ys[1].p`, `sub.leaf`), as in the
/// report, the trace and errors, not the bare binding every item shares.
#[tokio::test(start_paused = true)]
async fn node_spans_of_items_and_sub_workflows_are_named_by_path() {
    let (cap, _guard) = capture();
    let run = Runtime::new()
        .execute(
            ItemSpans,
            ItemSpansInput {
                xs: vec![3, 1],
                v: 2,
            },
        )
        .await
        .unwrap();
    assert_eq!(run.outputs.ys, [4, 2]);
    let mut named: Vec<(String, String)> = cap
        .spans("node")
        .iter()
        .map(|s| {
            (
                s.field("node").unwrap_or_default().to_owned(),
                s.field("attempt").unwrap_or_default().to_owned(),
            )
        })
        .collect();
    named.sort();
    let expected: Vec<(String, String)> = [
        ("sub", "1"),
        ("sub.leaf", "1"),
        ("ys", "1"),
        ("ys[0].p", "1"),
        ("ys[0].r", "1"),
        ("ys[0].r", "2"),
        ("ys[0].s", "1"),
        ("ys[1].p", "1"),
        ("ys[1].r", "1"),
        ("ys[1].r", "2"),
        ("ys[1].s", "1"),
    ]
    .iter()
    .map(|(n, a)| ((*n).to_owned(), (*a).to_owned()))
    .collect();
    assert_eq!(named, expected);
}

/// An item's node failing on its one attempt (no retry policy: inline).
#[node]
async fn item_fails_on_two(x: u32) -> Result<u32, Flaky> {
    if x == 2 {
        return Err(Flaky(x));
    }
    Ok(x)
}

workflow! {
    struct FailingItem {
        input xs: Vec<u32>,
        input v: u32,
        sub = SpanLeaf(v),
        ys = for x in xs {
            r = item_retried(x),
            f = item_fails_on_two(x: r),
        } => f,
    }
}

/// The events of a fan-out item's node (its retries, its failure) say which item by the
/// node's path, as its spans do, and name the workflow the caller ran: the `node failed`
/// event is logged outside the item's node span, so with the bare binding (`f`) and the
/// fan-out body's generated workflow (`__FailingItemEachYs`) a subscriber could not tell
/// which item failed, and printed a name the user never wrote.
#[tokio::test(start_paused = true)]
async fn events_of_items_name_the_item_by_path_and_the_workflow_the_caller_ran() {
    let (cap, _guard) = capture();
    let err = Runtime::new()
        .execute(
            FailingItem,
            FailingItemInput {
                xs: vec![1, 2],
                v: 0,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.node(), Some("ys[1].f"));
    assert_eq!(
        err.to_string(),
        "node `ys[1].f` of workflow `FailingItem` failed after 1 attempt(s): flaky attempt 2"
    );
    let failed = cap.events("node failed");
    let item = failed
        .iter()
        .find(|e| e.field("node") == Some("ys[1].f"))
        .unwrap_or_else(|| panic!("no `node failed` event names `ys[1].f`: {failed:#?}"));
    assert_eq!(item.field("error"), Some(err.to_string().as_str()));
    assert!(
        failed
            .iter()
            .all(|e| !e.field("error").unwrap_or_default().contains("__")),
        "a generated workflow name in {failed:#?}"
    );
    let mut retried: Vec<String> = cap
        .events("node attempt failed; retrying")
        .iter()
        .map(|e| e.field("node").unwrap_or_default().to_owned())
        .collect();
    retried.sort();
    assert_eq!(retried, ["ys[0].r", "ys[1].r"]);
    let completed: Vec<String> = cap
        .events("node completed")
        .iter()
        .map(|e| e.field("node").unwrap_or_default().to_owned())
        .collect();
    for path in ["sub.leaf", "ys[0].r", "ys[0].f", "ys[1].r"] {
        assert!(completed.iter().any(|n| n == path), "{path}: {completed:?}");
    }
}
