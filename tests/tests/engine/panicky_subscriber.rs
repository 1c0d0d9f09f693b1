//! A `tracing` subscriber that panics (a `Layer` panicking in `on_new_span` for the
//! engine's `node` span, or in `on_event` for its `workflow` events) while the engine
//! builds a node's span or logs inside a node's attempt: inline, fused, retried in the
//! run's task, spawned, and spawned with retries. Each run must end (no hang, on tokio's
//! paused clock a hang is an hour passing); what it ends with is pinned per case.
//!
//! The engine makes a node's span, and logs a node's end or retry, in the run's task
//! (a spawned node's span too, as it starts), outside the node's `catch_unwind`: the
//! subscriber's panic is not the node's, it unwinds out of the run's poll to whoever
//! polls it (here the run's own task), as a panic in any code the task runs does, and
//! the dropped run is no longer active. It is not turned into a `NodePanicked`: that
//! would take a `catch_unwind` around every span and log of the engine's.

use std::time::Duration;

use workflow_core::prelude::*;

/// Panics when the engine makes a node's span (`spans`) or logs (`events`).
struct Panicky {
    spans: bool,
    events: bool,
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Panicky {
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        _: &tracing::span::Id,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) {
        if self.spans && attrs.metadata().name() == "node" {
            panic!("boom span");
        }
    }

    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if self.events && event.metadata().target() == "workflow" {
            panic!("boom event");
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("not yet")]
struct NotYet;

#[node]
async fn plain(x: u32) -> u32 {
    x + 1
}

#[node(retry(max = 2, backoff = "10ms"))]
async fn second_time(ctx: &Context) -> Result<u32, NotYet> {
    if ctx.attempt() < 2 {
        Err(NotYet)
    } else {
        Ok(2)
    }
}

#[node(spawn)]
async fn spawned_plain(x: u32) -> u32 {
    x + 1
}

#[node(spawn, retry(max = 2, backoff = "10ms"))]
async fn spawned_second_time(ctx: &Context) -> Result<u32, NotYet> {
    if ctx.attempt() < 2 {
        Err(NotYet)
    } else {
        Ok(2)
    }
}

workflow! {
    struct Inline { input x: u32, n = plain(x) }
}

workflow! {
    struct Chain { input x: u32, a = plain(x), b = plain(x: a), n = plain(x: b) }
}

workflow! {
    struct Retried { n = second_time() }
}

workflow! {
    struct Spawned { input x: u32, n = spawned_plain(x) }
}

workflow! {
    struct SpawnedRetried { n = spawned_second_time() }
}

/// How a run ended: its task panicked, it hung, or its result (`Ok` or the error).
async fn ends<F, O>(run: F) -> String
where
    F: std::future::Future<Output = Result<O, WorkflowError>> + Send + 'static,
    O: Send + 'static,
{
    match tokio::time::timeout(Duration::from_secs(3600), tokio::spawn(run)).await {
        Err(_) => "hung".to_owned(),
        Ok(Err(e)) if e.is_panic() => "escaped".to_owned(),
        Ok(Err(e)) => format!("task {e}"),
        Ok(Ok(Ok(_))) => "ok".to_owned(),
        Ok(Ok(Err(e))) => format!("{e:?}"),
    }
}

async fn probe(spans: bool, events: bool) -> Vec<(&'static str, String)> {
    use tracing_subscriber::layer::SubscriberExt as _;
    let _guard = tracing::subscriber::set_default(
        tracing_subscriber::registry().with(Panicky { spans, events }),
    );
    let rt = Runtime::new();
    let ended = vec![
        (
            "inline",
            ends(rt.execute(Inline, InlineInput { x: 1 })).await,
        ),
        ("chain", ends(rt.execute(Chain, ChainInput { x: 1 })).await),
        ("retried", ends(rt.execute(Retried, RetriedInput {})).await),
        (
            "spawned",
            ends(rt.execute(Spawned, SpawnedInput { x: 1 })).await,
        ),
        (
            "spawned retried",
            ends(rt.execute(SpawnedRetried, SpawnedRetriedInput {})).await,
        ),
    ];
    assert_eq!(rt.active_runs(), 0, "spans {spans}, events {events}");
    ended
}

/// Every case's run task panics with the subscriber's panic; none hangs.
#[test]
fn a_panicking_subscriber_does_not_hang_a_run() {
    crate::own_process::run_alone(
        "panicky_subscriber::inner_a_panicking_subscriber_does_not_hang_a_run",
    );
}

#[tokio::test(start_paused = true)]
#[ignore = "installs a subscriber: a_panicking_subscriber_does_not_hang_a_run runs it alone"]
async fn inner_a_panicking_subscriber_does_not_hang_a_run() {
    let spans = probe(true, false).await;
    let events = probe(false, true).await;
    for (kind, ended) in spans.iter().chain(&events) {
        assert_eq!(ended, "escaped", "{kind}: {spans:?} {events:?}");
    }
}

/// Panics when a `node` span is entered (`on_enter`): a spawned node's span is entered
/// in its own task, as the task is polled.
struct PanickyEnter;

impl<S> tracing_subscriber::Layer<S> for PanickyEnter
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    fn on_enter(&self, id: &tracing::span::Id, ctx: tracing_subscriber::layer::Context<'_, S>) {
        if ctx.metadata(id).is_some_and(|m| m.name() == "node") {
            panic!("boom enter");
        }
    }
}

/// A subscriber panicking as a node's span is entered: in the run's task (inline, fused,
/// retried in the task) the panic unwinds out of the run's poll, as above. A spawned
/// node enters its span in its own task: the panic is that node's `NodePanicked` with
/// the subscriber's message (the span was entered outside the task's `catch_unwind`, so
/// the task panicked, tokio dropped it, and the node failed as a cancelled task, its
/// message lost), and no attempt is counted (its fn never ran). A supervised spawned
/// node (retries) enters it in its task too: the task's panic, with its message.
///
/// No case aborts the process: a supervised node's attempt was `tracing`'s
/// `Instrumented`, whose drop enters the span again; dropped as the first panic unwound,
/// it panicked a second time, and the process aborted (seen: "panic in a destructor
/// during cleanup" at the retried case).
#[test]
fn a_subscriber_panicking_as_a_span_is_entered_fails_a_spawned_node_with_its_message() {
    crate::own_process::run_alone(
        "panicky_subscriber::inner_a_subscriber_panicking_as_a_span_is_entered",
    );
}

#[tokio::test(start_paused = true)]
#[ignore = "installs a subscriber: a_subscriber_panicking_as_a_span_is_entered_.. runs it alone"]
async fn inner_a_subscriber_panicking_as_a_span_is_entered() {
    use tracing_subscriber::layer::SubscriberExt as _;
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(PanickyEnter));
    let rt = Runtime::new();
    for (kind, ended) in [
        (
            "inline",
            ends(rt.execute(Inline, InlineInput { x: 1 })).await,
        ),
        ("chain", ends(rt.execute(Chain, ChainInput { x: 1 })).await),
        ("retried", ends(rt.execute(Retried, RetriedInput {})).await),
    ] {
        assert_eq!(ended, "escaped", "{kind}");
    }
    for (kind, ended) in [
        (
            "spawned",
            ends(rt.execute(Spawned, SpawnedInput { x: 1 })).await,
        ),
        (
            "spawned retried",
            ends(rt.execute(SpawnedRetried, SpawnedRetriedInput {})).await,
        ),
    ] {
        assert!(
            ended.starts_with("NodePanicked") && ended.contains(r#"node: "n""#),
            "{kind}: {ended}"
        );
        assert!(
            ended.contains(r#"message: "boom enter""#),
            "{kind}: {ended}"
        );
    }
    let outcome = rt
        .execute_report(Spawned, SpawnedInput { x: 1 }, RunOptions::new())
        .await;
    let n = outcome.report.node("n").unwrap();
    assert_eq!(
        (n.status, n.attempts),
        (NodeStatus::Failed, 0),
        "its fn never ran"
    );
    assert_eq!(rt.active_runs(), 0);
}

/// Panics in `on_exit` while a panic unwinds (a layer whose bookkeeping assumes spans
/// are left in order, say), and, if `enter`, as a `node` span is entered.
struct PanickyUnwinding {
    enter: bool,
}

impl<S> tracing_subscriber::Layer<S> for PanickyUnwinding
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    fn on_enter(&self, id: &tracing::span::Id, ctx: tracing_subscriber::layer::Context<'_, S>) {
        if self.enter && ctx.metadata(id).is_some_and(|m| m.name() == "node") {
            panic!("boom enter");
        }
    }

    fn on_exit(&self, _: &tracing::span::Id, _: tracing_subscriber::layer::Context<'_, S>) {
        if std::thread::panicking() {
            panic!("boom exit");
        }
    }
}

#[node]
async fn bursts(x: u32) -> u32 {
    panic!("boom body {x}")
}

#[node(retry(max = 2, backoff = "10ms"))]
async fn bursts_retried(x: u32) -> Result<u32, NotYet> {
    panic!("boom body {x}")
}

#[node(spawn)]
async fn bursts_spawned(x: u32) -> u32 {
    panic!("boom body {x}")
}

#[node(spawn, retry(max = 2, backoff = "10ms"))]
async fn bursts_spawned_retried(x: u32) -> Result<u32, NotYet> {
    panic!("boom body {x}")
}

workflow! {
    struct Bursts { input x: u32, a = plain(x), n = bursts(x: a) }
}

workflow! {
    struct BurstsRetried { input x: u32, n = bursts_retried(x) }
}

workflow! {
    struct BurstsSpawned { input x: u32, n = bursts_spawned(x) }
}

workflow! {
    struct BurstsSpawnedRetried { input x: u32, n = bursts_spawned_retried(x) }
}

/// A subscriber panicking in `on_exit` while a panic unwinds through a span's guard:
/// that second panic, raised in a drop during the unwinding, aborted the process ("panic
/// in a destructor during cleanup"), as with any `tracing` `Entered` guard. The engine's
/// guards catch it there and let the first panic go on: a node whose body panics is its
/// `NodePanicked` with the body's message (the spawned node's span is left as the panic
/// unwinds to its task's `catch_unwind`), and a subscriber that also panics as a node's
/// span is entered in the run's task unwinds out of the run's poll with that panic (its
/// run's span left on the way out), as `on_enter` alone does; a spawned node's is its
/// `NodePanicked` with that message.
#[test]
fn a_subscriber_panicking_in_on_exit_as_a_panic_unwinds_does_not_abort() {
    crate::own_process::run_alone(
        "panicky_subscriber::inner_a_subscriber_panicking_in_on_exit_as_a_panic_unwinds",
    );
}

#[tokio::test(start_paused = true)]
#[ignore = "installs a subscriber: a_subscriber_panicking_in_on_exit_.. runs it alone"]
async fn inner_a_subscriber_panicking_in_on_exit_as_a_panic_unwinds() {
    use tracing_subscriber::layer::SubscriberExt as _;
    {
        let _guard = tracing::subscriber::set_default(
            tracing_subscriber::registry().with(PanickyUnwinding { enter: false }),
        );
        let rt = Runtime::new();
        for (kind, ended) in [
            (
                "inline",
                ends(rt.execute(Bursts, BurstsInput { x: 1 })).await,
            ),
            (
                "retried",
                ends(rt.execute(BurstsRetried, BurstsRetriedInput { x: 1 })).await,
            ),
            (
                "spawned",
                ends(rt.execute(BurstsSpawned, BurstsSpawnedInput { x: 1 })).await,
            ),
            (
                "spawned retried",
                ends(rt.execute(BurstsSpawnedRetried, BurstsSpawnedRetriedInput { x: 1 })).await,
            ),
        ] {
            assert!(
                ended.starts_with("NodePanicked") && ended.contains(r#"node: "n""#),
                "{kind}: {ended}"
            );
            let message = if kind == "inline" {
                "boom body 2"
            } else {
                "boom body 1"
            };
            assert!(
                ended.contains(&format!(r#"message: "{message}""#)),
                "{kind}: {ended}"
            );
        }
        assert_eq!(rt.active_runs(), 0);
    }
    let _guard = tracing::subscriber::set_default(
        tracing_subscriber::registry().with(PanickyUnwinding { enter: true }),
    );
    let rt = Runtime::new();
    for (kind, ended) in [
        (
            "inline",
            ends(rt.execute(Inline, InlineInput { x: 1 })).await,
        ),
        ("chain", ends(rt.execute(Chain, ChainInput { x: 1 })).await),
        ("retried", ends(rt.execute(Retried, RetriedInput {})).await),
    ] {
        assert_eq!(ended, "escaped", "{kind}");
    }
    for (kind, ended) in [
        (
            "spawned",
            ends(rt.execute(Spawned, SpawnedInput { x: 1 })).await,
        ),
        (
            "spawned retried",
            ends(rt.execute(SpawnedRetried, SpawnedRetriedInput {})).await,
        ),
    ] {
        assert!(
            ended.starts_with("NodePanicked") && ended.contains(r#"message: "boom enter""#),
            "{kind}: {ended}"
        );
    }
    assert_eq!(rt.active_runs(), 0);
}
