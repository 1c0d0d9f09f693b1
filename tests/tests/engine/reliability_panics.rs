//! Panics in every place user code runs are contained and reported with their message:
//! a node's body (in the run's task or spawned, any payload), a resource's cleanup hook,
//! and `Drop` impls of values the executor drops (an output left in its slot when the
//! run fails, a node's locals when it is cancelled or times out, ports of a node that
//! never ran). The runtime keeps working afterwards.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::Duration;

use workflow_core::prelude::*;

/// Silences the panics these tests cause on purpose (messages starting with `boom`).
fn quiet() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let p = info.payload();
            let msg = p
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| p.downcast_ref::<String>().cloned());
            match msg {
                Some(m) if m.starts_with("boom") => {}
                None if p.downcast_ref::<u32>().is_some() => {}
                _ => default(info),
            }
        }));
    });
}

#[derive(Debug, thiserror::Error)]
#[error("refused")]
struct Refused;

/// Collects `tracing` error events as `message: panic` lines on this thread.
fn capture_errors() -> (Arc<Mutex<Vec<String>>>, tracing::subscriber::DefaultGuard) {
    use tracing_subscriber::layer::SubscriberExt as _;

    #[derive(Default)]
    struct Fields {
        message: String,
        panic: String,
    }
    impl tracing::field::Visit for Fields {
        fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
            match field.name() {
                "message" => self.message = format!("{value:?}"),
                "panic" => self.panic = format!("{value:?}"),
                _ => {}
            }
        }
    }
    struct Errors(Arc<Mutex<Vec<String>>>);
    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Errors {
        fn on_event(
            &self,
            event: &tracing::Event<'_>,
            _ctx: tracing_subscriber::layer::Context<'_, S>,
        ) {
            if *event.metadata().level() == tracing::Level::ERROR {
                let mut f = Fields::default();
                event.record(&mut f);
                self.0
                    .lock()
                    .unwrap()
                    .push(format!("{}: {}", f.message, f.panic));
            }
        }
    }
    let errors = Arc::new(Mutex::new(Vec::new()));
    let subscriber = tracing_subscriber::registry().with(Errors(Arc::clone(&errors)));
    (errors, tracing::subscriber::set_default(subscriber))
}

// --- node bodies -------------------------------------------------------------------------

#[node]
async fn panics_str() -> u32 {
    panic!("boom str");
}

#[node]
async fn panics_string(n: u32) -> u32 {
    tokio::time::sleep(Duration::from_millis(5)).await;
    panic!("{}", format!("boom string {n}"));
}

#[node]
async fn panics_any() -> u32 {
    std::panic::panic_any(7u32);
}

#[node]
async fn ok_value() -> u32 {
    1
}

workflow! {
    struct BodyStr { x = panics_str() }
}
workflow! {
    struct BodyString { input n: u32, #[spawn] x = panics_string(n) }
}
workflow! {
    struct BodyAny { x = panics_any() }
}
workflow! {
    struct Fine { x = ok_value() }
}

#[tokio::test(start_paused = true)]
async fn node_body_panics_become_errors_with_their_message() {
    quiet();
    let rt = Runtime::new();
    let e = rt.execute(BodyStr, BodyStrInput {}).await.unwrap_err();
    assert!(
        matches!(&e, WorkflowError::NodePanicked { node, message, .. } if node == "x" && message == "boom str"),
        "{e}"
    );
    let e = rt
        .execute(BodyString, BodyStringInput { n: 3 })
        .await
        .unwrap_err();
    assert!(
        matches!(&e, WorkflowError::NodePanicked { node, message, .. } if node == "x" && message == "boom string 3"),
        "{e}"
    );
    let e = rt.execute(BodyAny, BodyAnyInput {}).await.unwrap_err();
    assert!(e.is_panic(), "{e}");
    assert!(e.to_string().contains("non-string panic payload"), "{e}");
    // The runtime still works.
    assert_eq!(rt.execute(Fine, FineInput {}).await.unwrap().outputs.x, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_body_panics_on_a_multi_thread_runtime() {
    quiet();
    let rt = Runtime::new();
    let mut runs = Vec::new();
    for n in 0..200 {
        let rt = rt.clone();
        runs.push(tokio::spawn(async move {
            rt.execute(BodyString, BodyStringInput { n }).await
        }));
    }
    for (n, r) in runs.into_iter().enumerate() {
        let e = r.await.expect("the run's task survives").unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("node `x` of workflow `BodyString` panicked: boom string {n}")
        );
    }
    assert_eq!(rt.execute(Fine, FineInput {}).await.unwrap().outputs.x, 1);
}

// --- cleanup hooks -------------------------------------------------------------------------

struct First;
struct Second;
struct Third;

#[tokio::test]
async fn a_panicking_cleanup_hook_is_reported_and_the_others_still_run() {
    quiet();
    let ran = Arc::new(AtomicUsize::new(0));
    let (a, c) = (Arc::clone(&ran), Arc::clone(&ran));
    let rt = Runtime::builder()
        .resource_with_cleanup(First, move |_| async move {
            a.fetch_add(1, Ordering::SeqCst);
        })
        .resource_with_cleanup(Second, |_| async move {
            tokio::task::yield_now().await;
            panic!("boom cleanup");
        })
        .resource_with_cleanup(Third, move |_| async move {
            c.fetch_add(1, Ordering::SeqCst);
        })
        .build();
    let report = rt.shutdown().await;
    assert_eq!(ran.load(Ordering::SeqCst), 2);
    assert_eq!(report.cleanup_panics.len(), 1, "{report:?}");
    assert!(report.cleanup_panics[0].0.ends_with("Second"));
    assert_eq!(report.cleanup_panics[0].1, "boom cleanup");
    assert_eq!(report.cleaned.len(), 2);
    // Once only.
    assert_eq!(rt.shutdown().await.cleanup_panics.len(), 0);
}

// --- Drop impls ----------------------------------------------------------------------------

/// A value whose `Drop` panics (once per value; clones panic too).
#[derive(Debug, Clone)]
struct Grenade(&'static str);

impl Drop for Grenade {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("boom drop {}", self.0);
        }
    }
}

#[node]
async fn make_grenade() -> Grenade {
    Grenade("output")
}

#[node]
async fn take_grenade(g: Grenade) -> u32 {
    drop(g);
    2
}

#[node]
async fn fail_later() -> Result<u32, Refused> {
    tokio::time::sleep(Duration::from_millis(10)).await;
    Err(Refused)
}

#[node]
async fn slow_value() -> u32 {
    tokio::time::sleep(Duration::from_secs(60)).await;
    5
}

#[node]
async fn join_grenade(_g: Grenade, _s: u32) -> u32 {
    6
}

#[node]
async fn holds_grenade_while_sleeping() -> u32 {
    let _g = Grenade("local");
    tokio::time::sleep(Duration::from_secs(60)).await;
    4
}

workflow! {
    /// The consumer drops the grenade in its body.
    struct DropInConsumer {
        g = make_grenade(),
        t = take_grenade(g),
    }
}

workflow! {
    /// `g` is produced and sits in its slot; `f` fails before `j` can take it.
    struct DropInSlot {
        g = make_grenade(),
        s = slow_value(),
        f = fail_later(),
        j = join_grenade(_g: g, _s: s),
    }
}

workflow! {
    /// A sibling fails while `h` holds a grenade: `h` is cancelled.
    struct DropOnCancel {
        h = holds_grenade_while_sleeping(),
        f = fail_later(),
    }
}

workflow! {
    /// `h` times out while holding a grenade.
    struct DropOnTimeout {
        #[timeout = "20ms"]
        h = holds_grenade_while_sleeping(),
    }
}

#[tokio::test(start_paused = true)]
async fn drop_panic_in_a_consumer_is_that_nodes_panic() {
    quiet();
    let rt = Runtime::new();
    let e = rt
        .execute(DropInConsumer, DropInConsumerInput {})
        .await
        .unwrap_err();
    assert!(
        matches!(&e, WorkflowError::NodePanicked { node, message, .. } if node == "t" && message == "boom drop output"),
        "{e}"
    );
}

/// The run stops at `f`'s failure; `g`'s output still sits in its slot, waiting for
/// `s`, and is dropped by the executor.
#[tokio::test(start_paused = true)]
async fn drop_panic_of_an_output_left_in_its_slot_is_contained() {
    quiet();
    let (errors, _guard) = capture_errors();
    let rt = Runtime::new();
    // Awaited in this task, so the subscriber of this thread sees the run's events.
    let e = rt
        .execute(DropInSlot, DropInSlotInput {})
        .await
        .unwrap_err();
    assert_eq!(
        errors.lock().unwrap().as_slice(),
        ["an unconsumed value panicked while being dropped: boom drop output"]
    );
    // The run's error is its cause; the drop panic (no node to blame: the value sat
    // in a slot) is logged as a `tracing` error event with its message (above).
    assert!(
        matches!(&e, WorkflowError::NodeFailed { node, .. } if node == "f"),
        "{e}"
    );
    assert_eq!(rt.execute(Fine, FineInput {}).await.unwrap().outputs.x, 1);
}

#[tokio::test(start_paused = true)]
async fn drop_panic_of_a_cancelled_nodes_local_is_contained() {
    quiet();
    let rt = Runtime::new();
    let run = tokio::spawn(rt.execute(DropOnCancel, DropOnCancelInput {}));
    let e = run
        .await
        .expect("a panicking Drop must not crash the run's task")
        .unwrap_err();
    // The cause first, then the cancelled node's drop panic, naming it.
    assert_eq!(e.node(), Some("f"), "{e}");
    match &e {
        WorkflowError::Multiple { errors, .. } => {
            assert_eq!(errors.len(), 2, "{e}");
            assert!(
                matches!(&errors[1], WorkflowError::NodePanicked { node, message, .. }
                    if node == "h" && message == "panicked while being dropped: boom drop local"),
                "{e}"
            );
        }
        e => panic!("expected the cause and the drop panic, got {e}"),
    }
}

#[tokio::test(start_paused = true)]
async fn drop_panic_of_a_timed_out_nodes_local_is_contained() {
    quiet();
    let rt = Runtime::new();
    let run = tokio::spawn(rt.execute(DropOnTimeout, DropOnTimeoutInput {}));
    let e = run
        .await
        .expect("a panicking Drop must not crash the run's task")
        .unwrap_err();
    // The attempt's future is dropped when it times out; its drop panic is the node's.
    assert!(
        matches!(&e, WorkflowError::NodePanicked { node, message, .. } if node == "h" && message == "boom drop local"),
        "{e}"
    );
}
