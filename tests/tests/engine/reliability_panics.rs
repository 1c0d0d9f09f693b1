//! Panics in every place user code runs are contained and reported with their message:
//! a node's body (in the run's task or spawned, any payload), a resource's cleanup hook,
//! and `Drop` impls of values the executor drops (an output left in its slot when the
//! run fails, a node's locals when it is cancelled or times out, ports of a node that
//! never ran). The runtime keeps working afterwards.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::Duration;

use workflow_core::prelude::*;
use workflow_core::RunOutcome;

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
#[test]
fn drop_panic_of_an_output_left_in_its_slot_is_contained() {
    crate::own_process::run_alone(
        "reliability_panics::inner_drop_panic_of_an_output_left_in_its_slot_is_contained",
    );
}

#[tokio::test(start_paused = true)]
#[ignore = "installs a subscriber: drop_panic_of_an_output_left_in_its_slot_is_contained runs it alone"]
async fn inner_drop_panic_of_an_output_left_in_its_slot_is_contained() {
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

// --- panics in fan-out items and in plain runs' nodes -------------------------------------
//
// A node that panics in its first poll (before any `.await`) ends in the poll that
// started it, as most nodes of a plain run do: its failure must still reach the run.
// Every run below is bounded by a paused-clock timeout, so a run that never ends fails
// its test instead of hanging it.

/// How long a run below may take on tokio's (paused) clock; the runs themselves sleep
/// a few milliseconds at most.
const HANG: Duration = Duration::from_secs(3600);

/// The item value whose node panics (`boom item 0`).
const BAD: u32 = 0;

/// Runs `wf` with `input` to its outcome (no options: a plain run), or fails the test
/// if the run does not end.
async fn bounded<W: Workflow>(wf: W, input: W::Input, what: &str) -> RunOutcome<W::Output> {
    let run = Runtime::new().execute_report(wf, input, RunOptions::new());
    match tokio::time::timeout(HANG, run).await {
        Ok(outcome) => outcome,
        Err(_) => panic!("{what}: the run never ended"),
    }
}

/// Panics in its first poll (before any `.await`) for [`BAD`].
#[node]
async fn item_now(x: u32) -> u32 {
    if x == BAD {
        panic!("boom item {x}");
    }
    x
}

/// Yields once, then panics for [`BAD`].
#[node]
async fn item_later(x: u32) -> u32 {
    tokio::task::yield_now().await;
    if x == BAD {
        panic!("boom item {x}");
    }
    x
}

/// Sleeps `x` ms first when `x` is a multiple of 3 (and not [`BAD`]), so that some
/// items wait and the others end at once: lanes of several items each. Panics in its
/// first poll for [`BAD`].
#[node]
async fn item_mixed(x: u32) -> u32 {
    if x % 3 == 0 && x != BAD {
        tokio::time::sleep(Duration::from_millis(u64::from(x))).await;
    }
    if x == BAD {
        panic!("boom item {x}");
    }
    x
}

/// Sleeps 1 to 5 ms, then panics for [`BAD`]: every item waits (a lane each).
#[node]
async fn item_sleeps(x: u32) -> u32 {
    tokio::time::sleep(Duration::from_millis(u64::from(x % 5) + 1)).await;
    if x == BAD {
        panic!("boom item {x}");
    }
    x
}

/// `x + 1`, wrapping (so `u32::MAX` gives [`BAD`]).
#[node]
async fn next_value(x: u32) -> u32 {
    x.wrapping_add(1)
}

#[node]
async fn plus_sum(s: u32, out: Vec<u32>) -> u32 {
    s + out.iter().sum::<u32>()
}

workflow! {
    struct FanNow { input xs: Vec<u32>, out = for x in xs { p = item_now(x), } => p, }
}
workflow! {
    struct FanLater { input xs: Vec<u32>, out = for x in xs { p = item_later(x), } => p, }
}
workflow! {
    struct FanMixed { input xs: Vec<u32>, out = for x in xs { p = item_mixed(x), } => p, }
}
workflow! {
    struct FanSleeps { input xs: Vec<u32>, out = for x in xs { p = item_sleeps(x), } => p, }
}
workflow! {
    struct FanNowSpawn {
        input xs: Vec<u32>,
        out = for x in xs { #[spawn] p = item_now(x), } => p,
    }
}
workflow! {
    struct FanLaterSpawn {
        input xs: Vec<u32>,
        out = for x in xs { #[spawn] p = item_later(x), } => p,
    }
}
workflow! {
    struct FanMixedSpawn {
        input xs: Vec<u32>,
        out = for x in xs { #[spawn] p = item_mixed(x), } => p,
    }
}
workflow! {
    /// The panicking node after another node of the item (a body of two).
    struct FanAfterNode {
        input xs: Vec<u32>,
        out = for x in xs { a = next_value(x), p = item_now(x: a), } => p,
    }
}
workflow! {
    /// The fan-out between plain nodes: `s` before it, `t` after it.
    struct FanBetween {
        input xs: Vec<u32>,
        s = ok_value(),
        out = for x in xs { p = item_mixed(x), } => p,
        t = plus_sum(s, out),
    }
}
workflow! {
    struct FanBounded {
        input xs: Vec<u32>,
        #[concurrency = 2]
        out = for x in xs { p = item_mixed(x), } => p,
    }
}

/// `n` items, item `k` [`BAD`], the others `1 + i + shift` (never `BAD`; `shift` moves
/// which of them are multiples of 3).
fn items(n: usize, k: usize, shift: u32) -> Vec<u32> {
    (0..n)
        .map(|i| {
            if i == k {
                BAD
            } else {
                1 + shift + u32::try_from(i).unwrap()
            }
        })
        .collect()
}

/// The item indices to fail among `n` items: the first, the second, one in the middle
/// and the last.
fn bad_indices(n: usize) -> Vec<usize> {
    let mut ks = vec![0, 1.min(n - 1), n / 2, n - 1];
    ks.sort_unstable();
    ks.dedup();
    ks
}

/// The run failed with the panic of `out[k].p` (named by its path), and its report
/// says so: that node failed after one attempt, the fan-out failed, nothing is left
/// running or not started.
fn assert_item_panicked<O>(outcome: &RunOutcome<O>, k: usize, what: &str) {
    let path = format!("out[{k}].p");
    let Err(e) = &outcome.result else {
        panic!("{what}: the run succeeded");
    };
    assert!(
        matches!(e, WorkflowError::NodePanicked { node, message, .. }
            if *node == path && message == "boom item 0"),
        "{what}: {e}"
    );
    let report = &outcome.report;
    let item = report
        .node(&path)
        .unwrap_or_else(|| panic!("{what}: no report entry {path}"));
    assert_eq!(
        (item.status, item.attempts),
        (NodeStatus::Failed, 1),
        "{what}"
    );
    assert_eq!(
        report.node("out").map(|n| n.status),
        Some(NodeStatus::Failed),
        "{what}"
    );
    for n in report.nodes.iter() {
        assert!(
            !matches!(n.status, NodeStatus::Running | NodeStatus::NotStarted),
            "{what}: {} {:?}",
            n.name,
            n.status
        );
    }
}

/// Runs fan-out workflow `$wf` (input `$input { xs }`) over `n` items for each `n` of
/// `$ns`, with each of [`bad_indices`] panicking in turn (and each `shift` of `$shifts`).
macro_rules! each_bad_item {
    ($wf:ident, $input:ident, $ns:expr, $shifts:expr) => {
        for n in $ns {
            for k in bad_indices(n) {
                for shift in $shifts {
                    let what = format!("{} n={n} k={k} shift={shift}", stringify!($wf));
                    let xs = items(n, k, shift);
                    let outcome = bounded($wf, $input { xs }, &what).await;
                    assert_item_panicked(&outcome, k, &what);
                }
            }
        }
    };
}

/// An item's inline node panics in its first poll, before any `.await`: every item
/// ends at once, so all run in one lane (past 64 items the lane looks at its time
/// budget, and may yield).
#[tokio::test(start_paused = true)]
async fn an_items_inline_node_panicking_in_its_first_poll_fails_the_run() {
    quiet();
    each_bad_item!(FanNow, FanNowInput, [1, 2, 3, 7, 65, 200], [0]);
}

/// The same after another node of the item (`a`, which ends at once too).
#[tokio::test(start_paused = true)]
async fn an_items_second_node_panicking_in_its_first_poll_fails_the_run() {
    quiet();
    for n in [1, 2, 3, 7, 65] {
        for k in bad_indices(n) {
            let what = format!("FanAfterNode n={n} k={k}");
            // `a = x + 1`, wrapping: item k's `a` is BAD.
            let xs = items(n, k, 0)
                .into_iter()
                .map(|x| if x == BAD { u32::MAX } else { x })
                .collect();
            let outcome = bounded(FanAfterNode, FanAfterNodeInput { xs }, &what).await;
            assert_item_panicked(&outcome, k, &what);
        }
    }
}

/// An item's inline node panics after an `.await`: a yield (its lane is woken at
/// once), or a sleep (every item waits: a lane each).
#[tokio::test(start_paused = true)]
async fn an_items_inline_node_panicking_after_an_await_fails_the_run() {
    quiet();
    each_bad_item!(FanLater, FanLaterInput, [1, 2, 3, 7, 65, 100], [0]);
    each_bad_item!(FanSleeps, FanSleepsInput, [1, 2, 3, 7, 65], [0, 1, 2]);
}

/// Items that wait and items that end at once alternate, so lanes run several items
/// each (a lane whose item waited goes on with the feed's next item); the panicking
/// item ends in its first poll, in a lane that ran items before it or as a lane's
/// first. Unbounded, with `#[concurrency = 2]`, and between plain nodes.
#[tokio::test(start_paused = true)]
async fn an_item_panicking_in_a_lane_of_several_items_fails_the_run() {
    quiet();
    each_bad_item!(FanMixed, FanMixedInput, [2, 3, 4, 7, 20, 70], [0, 1, 2]);
    each_bad_item!(FanBounded, FanBoundedInput, [2, 3, 7, 20], [0, 1, 2]);
    for n in [1, 3, 7, 20] {
        for k in bad_indices(n) {
            for shift in [0, 1, 2] {
                let what = format!("FanBetween n={n} k={k} shift={shift}");
                let xs = items(n, k, shift);
                let outcome = bounded(FanBetween, FanBetweenInput { xs }, &what).await;
                assert_item_panicked(&outcome, k, &what);
                let report = &outcome.report;
                assert_eq!(
                    report.node("s").map(|n| n.status),
                    Some(NodeStatus::Succeeded)
                );
                assert_eq!(
                    report.node("t").map(|n| n.status),
                    Some(NodeStatus::Skipped)
                );
            }
        }
    }
}

/// An item's `#[spawn]` node panics in its task's first poll, after a yield, or in a
/// lane of several items.
#[tokio::test(start_paused = true)]
async fn an_items_spawned_node_panicking_fails_the_run() {
    quiet();
    each_bad_item!(FanNowSpawn, FanNowSpawnInput, [1, 2, 3, 7, 65], [0]);
    each_bad_item!(FanLaterSpawn, FanLaterSpawnInput, [1, 2, 3, 7, 65], [0]);
    each_bad_item!(FanMixedSpawn, FanMixedSpawnInput, [2, 3, 7, 20], [0, 1, 2]);
}

/// Panics in its first poll when `x` is [`BAD`]; otherwise `x + 1`.
#[node]
async fn step_or_panic(x: u32) -> u32 {
    if x == BAD {
        panic!("boom step");
    }
    x + 1
}

#[node]
async fn add_two(a: u32, b: u32) -> u32 {
    a + b
}

workflow! {
    /// A chain declared in order (run as one fused segment in a plain run): `b`, in the
    /// middle, panics when `x` is BAD.
    struct PlainChain {
        input x: u32,
        a = next_value(x),
        b = step_or_panic(x: a),
        c = next_value(x: b),
        d = next_value(x: c),
    }
}

workflow! {
    /// A diamond: `c` panics when `x` is BAD (so its sibling `b` ends first, or not).
    struct PlainDiamond {
        input x: u32,
        a = next_value(x),
        b = next_value(x: a),
        c = step_or_panic(x: a),
        d = add_two(a: b, b: c),
    }
}

workflow! {
    /// A diamond whose first branch panics.
    struct PlainDiamondFirst {
        input x: u32,
        a = next_value(x),
        b = step_or_panic(x: a),
        c = next_value(x: a),
        d = add_two(a: b, b: c),
    }
}

workflow! {
    /// The first node panics.
    struct PlainHead {
        input x: u32,
        a = step_or_panic(x),
        b = next_value(x: a),
    }
}

/// The plain run failed with `node`'s panic in its first poll; its report has it
/// failed after one attempt, `before` succeeded and `after` skipped.
fn assert_plain_panicked<O>(outcome: &RunOutcome<O>, node: &str, before: &[&str], after: &[&str]) {
    let Err(e) = &outcome.result else {
        panic!("{node}: the run succeeded");
    };
    assert!(
        matches!(e, WorkflowError::NodePanicked { node: n, message, .. }
            if n == node && message == "boom step"),
        "{e}"
    );
    let report = &outcome.report;
    let status = |n: &str| report.node(n).map(|r| (r.status, r.attempts));
    assert_eq!(status(node), Some((NodeStatus::Failed, 1)));
    for n in before {
        assert_eq!(status(n), Some((NodeStatus::Succeeded, 1)), "{n}");
    }
    for n in after {
        assert_eq!(status(n).map(|s| s.0), Some(NodeStatus::Skipped), "{n}");
    }
}

/// A plain run's node (the short path of a run that wants nothing beyond its report)
/// panics in its first poll: in a chain (fused), a diamond's either branch, the first
/// node. Several runs on one runtime, and the runtime still works after them.
#[tokio::test(start_paused = true)]
async fn a_plain_runs_node_panicking_in_its_first_poll_fails_the_run() {
    quiet();
    // `a = x + 1`, wrapping: BAD reaches the panicking node.
    let x = u32::MAX;
    for _ in 0..3 {
        let outcome = bounded(PlainChain, PlainChainInput { x }, "chain").await;
        assert_plain_panicked(&outcome, "b", &["a"], &["c", "d"]);
        let outcome = bounded(PlainDiamond, PlainDiamondInput { x }, "diamond").await;
        assert_plain_panicked(&outcome, "c", &["a", "b"], &["d"]);
        let outcome = bounded(PlainDiamondFirst, PlainDiamondFirstInput { x }, "first").await;
        assert_plain_panicked(&outcome, "b", &["a"], &["d"]);
        let outcome = bounded(PlainHead, PlainHeadInput { x: BAD }, "head").await;
        assert_plain_panicked(&outcome, "a", &[], &["b"]);
        // The same workflows succeed when nothing panics.
        let outcome = bounded(PlainDiamond, PlainDiamondInput { x: 1 }, "diamond ok").await;
        assert_eq!(outcome.result.map(|o| o.d).ok(), Some(3 + 3));
        let outcome = bounded(PlainChain, PlainChainInput { x: 1 }, "chain ok").await;
        assert_eq!(outcome.result.map(|o| o.d).ok(), Some(5));
    }
}

// --- a fail-fast item failure reaches the lanes started before it ---------------------------

/// Waits until it is cancelled (dropped) when `x` is 1, sleeps an hour when it is 2,
/// panics in its first poll for [`BAD`]; otherwise `x`.
#[node]
async fn waits_or_panics(x: u32) -> u32 {
    match x {
        BAD => panic!("boom item {x}"),
        1 => std::future::pending::<()>().await,
        2 => tokio::time::sleep(Duration::from_secs(3600)).await,
        _ => {}
    }
    x
}

workflow! {
    struct FanWaits { input xs: Vec<u32>, out = for x in xs { p = waits_or_panics(x), } => p, }
}

workflow! {
    /// `FanWaits` as a sub-workflow: its fan-out runs in the sub-workflow's lane.
    struct SubFanWaits { input xs: Vec<u32>, sub = FanWaits(xs: xs), }
}

workflow! {
    /// `FanWaits` in each item of a fan-out: its fan-out runs in an item's lane.
    struct FanOfFanWaits {
        input xss: Vec<Vec<u32>>,
        outer = for xs in xss { f = FanWaits(xs: xs), } => f,
    }
}

/// A fail-fast fan-out whose item fails in its first poll (as the fan-out starts its
/// lanes) stops the items started before it at once: waiting until cancelled, or an
/// hour. Where nothing else polls the fan-out's node again (a fan-out in a lane: a
/// sub-workflow's, an item's), the fan-out waited for them to end by themselves: an
/// hour, or forever.
#[tokio::test(start_paused = true)]
async fn an_item_failing_in_the_fan_outs_first_poll_stops_the_items_before_it() {
    quiet();
    for waiting in [1, 2] {
        for xs in [vec![waiting, BAD, 3], vec![3, waiting, 4, BAD, 5]] {
            let k = xs.iter().position(|&x| x == BAD).unwrap();
            let what = format!("xs={xs:?}");
            let t0 = tokio::time::Instant::now();
            let outcome = bounded(FanWaits, FanWaitsInput { xs: xs.clone() }, &what).await;
            assert_item_panicked(&outcome, k, &what);
            assert_eq!(t0.elapsed(), Duration::ZERO, "{what}");

            let t0 = tokio::time::Instant::now();
            let sub = SubFanWaitsInput { xs: xs.clone() };
            let outcome = bounded(SubFanWaits, sub, &format!("sub {what}")).await;
            let Err(e) = &outcome.result else {
                panic!("sub {what}: the run succeeded");
            };
            let path = format!("sub.out[{k}].p");
            assert!(
                matches!(e, WorkflowError::NodePanicked { node, .. } if *node == path),
                "sub {what}: {e}"
            );
            let item = outcome.report.node(&path).map(|n| n.status);
            assert_eq!(item, Some(NodeStatus::Failed), "sub {what}");
            assert_eq!(t0.elapsed(), Duration::ZERO, "sub {what}");

            let t0 = tokio::time::Instant::now();
            let outer = FanOfFanWaitsInput {
                xss: vec![vec![3], xs.clone()],
            };
            let outcome = bounded(FanOfFanWaits, outer, &format!("outer {what}")).await;
            let Err(e) = &outcome.result else {
                panic!("outer {what}: the run succeeded");
            };
            let path = format!("outer[1].f.out[{k}].p");
            assert!(
                matches!(e, WorkflowError::NodePanicked { node, .. } if *node == path),
                "outer {what}: {e}"
            );
            assert_eq!(t0.elapsed(), Duration::ZERO, "outer {what}");
        }
    }
}

#[node]
async fn naps_a_minute() -> u32 {
    tokio::time::sleep(Duration::from_secs(60)).await;
    1
}

workflow! {
    struct NapsAMinute { x = naps_a_minute() }
}

/// A panicking `monitor` callback panicked out of the run's first poll, to the caller of
/// `execute`; a panicking `on_run_dropped` hook out of the run future's `Drop` (an abort,
/// were it dropped during an unwind). Both are contained now: the run goes on (or is
/// dropped) as without them, and each panic is a `tracing` error event naming the
/// callback, with its message.
#[test]
fn a_panicking_monitor_or_dropped_run_hook_is_contained() {
    crate::own_process::run_alone(
        "reliability_panics::inner_a_panicking_monitor_or_dropped_run_hook_is_contained",
    );
}

#[tokio::test(start_paused = true)]
#[ignore = "installs a subscriber: a_panicking_monitor_or_dropped_run_hook_is_contained runs it alone"]
async fn inner_a_panicking_monitor_or_dropped_run_hook_is_contained() {
    quiet();
    let (errors, _guard) = capture_errors();
    let later = Arc::new(AtomicUsize::new(0));
    let (seen, dropped) = (Arc::clone(&later), Arc::clone(&later));
    let rt = Runtime::builder()
        .monitor(|_| panic!("boom monitor"))
        .monitor(move |_| {
            seen.fetch_add(1, Ordering::SeqCst);
        })
        .on_run_dropped(|_| panic!("boom dropped"))
        .on_run_dropped(move |_| {
            dropped.fetch_add(10, Ordering::SeqCst);
        })
        .build();
    assert_eq!(rt.execute(Fine, FineInput {}).await.unwrap().outputs.x, 1);
    // Cut short: its future is dropped before the run ended.
    let cut = tokio::time::timeout(
        Duration::from_secs(1),
        rt.execute(NapsAMinute, NapsAMinuteInput {}),
    );
    assert!(cut.await.is_err());
    // The other callbacks ran too: 2 runs monitored, 1 dropped.
    assert_eq!(later.load(Ordering::SeqCst), 12);
    assert_eq!(
        errors.lock().unwrap().as_slice(),
        [
            "the `monitor` callback panicked; the panic was contained: boom monitor",
            "the `monitor` callback panicked; the panic was contained: boom monitor",
            "the `on_run_dropped` callback panicked; the panic was contained: boom dropped",
        ]
    );
    assert_eq!(rt.active_runs(), 0);
}

#[node]
async fn grenade_item(n: u32) -> u32 {
    let _g = Grenade("item local");
    tokio::time::sleep(Duration::from_secs(60)).await;
    n
}

#[node]
async fn fail_item(n: u32) -> Result<u32, Refused> {
    tokio::time::sleep(Duration::from_millis(10 * u64::from(n))).await;
    Err(Refused)
}

workflow! {
    /// Each item holds a grenade in `h` while its `f` fails: the failure stops the item,
    /// dropping `h`.
    struct DropInItems {
        input ns: Vec<u32>,
        rs = for n in ns {
            h = grenade_item(n),
            f = fail_item(n),
            s = add_two(a: h, b: f),
        } => s,
    }
}

/// A fan-out item's node whose local panics as the item is stopped: the drop panic is
/// named by the item's path and in the workflow the caller ran, not the fan-out body's
/// generated one (as the item's own errors are).
#[tokio::test(start_paused = true)]
async fn drop_panic_inside_a_fan_out_item_names_its_path_and_the_callers_workflow() {
    quiet();
    let rt = Runtime::new();
    let e = rt
        .execute(DropInItems, DropInItemsInput { ns: vec![1] })
        .await
        .unwrap_err();
    let panicked: Vec<_> = match &e {
        WorkflowError::Multiple { errors, .. } => errors.iter().collect(),
        e => vec![e],
    }
    .into_iter()
    .filter_map(|e| match e {
        WorkflowError::NodePanicked {
            workflow,
            node,
            message,
        } => Some((*workflow, node.to_string(), message.clone())),
        _ => None,
    })
    .collect();
    assert_eq!(
        panicked,
        [(
            "DropInItems",
            "rs[0].h".to_string(),
            "panicked while being dropped: boom drop item local".to_string()
        )],
        "{e}"
    );
}

#[derive(Debug, thiserror::Error)]
#[error("refused {0}")]
struct Refusal(u32);

static PREDICATE_CALLS: AtomicUsize = AtomicUsize::new(0);

/// A `retry_if` predicate with a bug.
fn panics_deciding(e: &Refusal) -> bool {
    PREDICATE_CALLS.fetch_add(1, Ordering::SeqCst);
    panic!("boom predicate on {e}")
}

#[node(retry(max = 3, backoff = "10ms", retry_if = panics_deciding))]
async fn refuses(n: u32) -> Result<u32, Refusal> {
    Err(Refusal(n))
}

#[node(spawn, retry(max = 3, backoff = "10ms", retry_if = panics_deciding))]
async fn refuses_spawned(n: u32) -> Result<u32, Refusal> {
    Err(Refusal(n))
}

workflow! {
    struct Deciding { input n: u32, x = refuses(n) }
}

workflow! {
    struct DecidingSpawned { input n: u32, x = refuses_spawned(n) }
}

/// A `retry_if` predicate that panics is its node's `NodePanicked`, with the
/// predicate's message and the error it was deciding on, after the one attempt it was
/// asked about (no retry): the predicate ran in the run's task outside any
/// `catch_unwind`, so its panic unwound out of the run's poll and took the caller's
/// task with it, in the run's task and for a spawned node alike (its retries are
/// decided in the run's task). The runtime keeps working.
#[tokio::test(start_paused = true)]
async fn a_retry_predicate_that_panics_is_its_nodes_panic() {
    quiet();
    let rt = Runtime::new();
    for spawned in [false, true] {
        PREDICATE_CALLS.store(0, Ordering::SeqCst);
        let (result, report) = if spawned {
            let o = rt
                .execute_report(
                    DecidingSpawned,
                    DecidingSpawnedInput { n: 7 },
                    RunOptions::new(),
                )
                .await;
            (o.result.map(|_| ()), o.report)
        } else {
            let o = rt
                .execute_report(Deciding, DecidingInput { n: 7 }, RunOptions::new())
                .await;
            (o.result.map(|_| ()), o.report)
        };
        let e = result.unwrap_err();
        assert!(
            matches!(
                &e,
                WorkflowError::NodePanicked { node, message, .. }
                    if node == "x"
                        && message == "in its `retry_if` predicate, deciding on attempt 1's error (refused 7): boom predicate on refused 7"
            ),
            "spawned {spawned}: {e:?}"
        );
        assert_eq!(
            PREDICATE_CALLS.load(Ordering::SeqCst),
            1,
            "spawned {spawned}"
        );
        let x = report.node("x").unwrap();
        assert_eq!(
            (x.status, x.attempts),
            (NodeStatus::Failed, 1),
            "spawned {spawned}"
        );
    }
    assert_eq!(rt.execute(Fine, FineInput {}).await.unwrap().outputs.x, 1);
    assert_eq!(rt.active_runs(), 0);
}

/// An error type with a bug in its `Display`: it panics.
#[derive(Debug)]
struct GarbledDisplay(u32);

impl std::fmt::Display for GarbledDisplay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("half of it, then ")?;
        panic!("boom display of error {}", self.0)
    }
}

impl std::error::Error for GarbledDisplay {}

/// An error type whose `Display` returns an error (`to_string` panics on it).
#[derive(Debug)]
struct FailingDisplay;

impl std::fmt::Display for FailingDisplay {
    fn fmt(&self, _f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        Err(std::fmt::Error)
    }
}

impl std::error::Error for FailingDisplay {}

#[node(retry(max = 2, backoff = "10ms"))]
async fn garbled(n: u32) -> Result<u32, GarbledDisplay> {
    Err(GarbledDisplay(n))
}

#[node]
async fn unprintable() -> Result<u32, FailingDisplay> {
    Err(FailingDisplay)
}

workflow! {
    struct Garbled { input n: u32, x = garbled(n) }
}

workflow! {
    struct Unprintable { x = unprintable() }
}

/// Formats every field of every event on this thread, as a log subscriber does (the
/// engine's `error = %e` fields among them).
fn format_every_event() -> tracing::subscriber::DefaultGuard {
    use std::fmt::Write as _;
    use tracing_subscriber::layer::SubscriberExt as _;

    struct Line(String);
    impl tracing::field::Visit for Line {
        fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
    struct Formats;
    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Formats {
        fn on_event(
            &self,
            event: &tracing::Event<'_>,
            _ctx: tracing_subscriber::layer::Context<'_, S>,
        ) {
            event.record(&mut Line(String::new()));
        }
    }
    tracing::subscriber::set_default(tracing_subscriber::registry().with(Formats))
}

/// A node's error whose `Display` panics (a bug in the user's type) is that node's
/// `NodeFailed`, the error kept (downcast finds it) and its text a note saying its
/// `Display` panicked, in the run's error, its trace and its log lines. The engine took
/// its text for the retry's log line and trace (`NodeFailure::describe`), in the run's
/// task, so the panic unwound out of the run's poll and took the caller's task; and the
/// error's own `{}` panicked in the caller's hands. A `Display` that returns an error
/// (which `to_string` turns into a panic) is a note the same way.
#[tokio::test(start_paused = true)]
async fn a_node_error_whose_display_panics_is_that_nodes_failure_with_a_note() {
    quiet();
    let _logs = format_every_event();
    let rt = Runtime::new();
    let outcome = rt
        .execute_report(
            Garbled,
            GarbledInput { n: 7 },
            RunOptions::new().trace(true),
        )
        .await;
    let e = outcome.result.unwrap_err();
    assert!(
        matches!(&e, WorkflowError::NodeFailed { node, attempts: 2, .. } if node == "x"),
        "{e:?}"
    );
    assert_eq!(e.downcast_ref::<GarbledDisplay>().map(|g| g.0), Some(7));
    let note = "<error whose `Display` panicked: boom display of error 7>";
    let text = format!("node `x` of workflow `Garbled` failed after 2 attempt(s): {note}");
    assert_eq!(e.to_string(), text);
    assert_eq!(format!("{e:#}"), text);
    let x = outcome.report.node("x").unwrap();
    assert_eq!((x.status, x.attempts), (NodeStatus::Failed, 2));
    // The trace says the same: the retry, the node's failure, the run's.
    let said: Vec<String> = outcome
        .trace
        .unwrap()
        .iter()
        .filter_map(|event| match &event.kind {
            workflow_core::trace::TraceKind::Retrying { error, .. }
            | workflow_core::trace::TraceKind::Failed { error, .. }
            | workflow_core::trace::TraceKind::RunFailed { error } => Some(error.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(said, [note.to_owned(), note.to_owned(), text]);

    let e = rt
        .execute(Unprintable, UnprintableInput {})
        .await
        .unwrap_err();
    assert!(e.downcast_ref::<FailingDisplay>().is_some(), "{e:?}");
    assert_eq!(
        e.to_string(),
        "node `x` of workflow `Unprintable` failed after 1 attempt(s): <error whose `Display` failed>"
    );
    // The runtime keeps working.
    assert_eq!(rt.execute(Fine, FineInput {}).await.unwrap().outputs.x, 1);
    assert_eq!(rt.active_runs(), 0);
}

/// A value whose `Clone` has a bug: it panics.
#[derive(Debug)]
struct BadClone(u32);

impl Clone for BadClone {
    fn clone(&self) -> Self {
        panic!("boom cloning {}", self.0)
    }
}

#[node]
async fn make_bad(n: u32) -> BadClone {
    BadClone(n)
}

#[node]
async fn use_bad(b: BadClone) -> u32 {
    b.0
}

workflow! {
    struct SharesBad {
        input n: u32,
        b = make_bad(n),
        x = use_bad(b),
        y = use_bad(b),
    }
}

/// An output two nodes read is cloned for one of them as it starts (in the run's task,
/// as the driver builds its ports, before the node's own `catch_unwind`): a `Clone` that
/// panics there is that node's panic, contained, and says where it happened. It used to
/// unwind out of the run's poll into the caller's task (robust43).
#[tokio::test]
async fn an_output_whose_clone_panics_is_a_contained_panic() {
    quiet();
    let rt = Runtime::new();
    let run = tokio::spawn(async move {
        let e = rt
            .execute(SharesBad, SharesBadInput { n: 7 })
            .await
            .unwrap_err();
        (rt, e)
    });
    let (rt, e) = run.await.expect("the run's task did not panic");
    assert!(e.is_panic(), "{e:?}");
    assert_eq!(e.node(), Some("x"), "{e}");
    assert_eq!(
        e.to_string(),
        "node `x` of workflow `SharesBad` panicked: boom cloning 7 \
         (while cloning an input it shares with another node, before it ran)"
    );
    assert_eq!(rt.execute(Fine, FineInput {}).await.unwrap().outputs.x, 1);
}

#[node]
async fn bump(b: BadClone) -> BadClone {
    BadClone(b.0 + 1)
}

workflow! {
    /// `x` heads a chain, which runs fused (one future for `x`, `x2`, `x3`): its ports
    /// are built as the segment starts.
    struct SharesBadIntoChain {
        input n: u32,
        b = make_bad(n),
        x = bump(b),
        x2 = bump(b: x),
        x3 = use_bad(b: x2),
        y = use_bad(b),
    }
}

#[node]
async fn use_bad_or_refuse(b: BadClone) -> Result<u32, Refused> {
    Ok(b.0)
}

workflow! {
    /// The consumers are spawned and retried (each boxed, not in a cell).
    struct SharesBadSpawned {
        input n: u32,
        b = make_bad(n),
        #[spawn]
        x = use_bad(b),
        #[retry(max = 3, backoff = "10ms")]
        y = use_bad_or_refuse(b),
    }
}

workflow! {
    /// Under `continue`, the other consumer (the last to start, which gets the value
    /// itself) still runs.
    #[workflow(failure = "continue")]
    struct SharesBadContinue {
        input n: u32,
        b = make_bad(n),
        x = use_bad(b),
        y = use_bad(b),
    }
}

workflow! {
    /// `b` is an output of the workflow and read by `x`: `x` gets a clone.
    struct SharesBadKept {
        input n: u32,
        #[output]
        b = make_bad(n),
        x = use_bad(b),
    }
}

/// The other ways a node's ports are built: a fused chain's first node, spawned and
/// retried nodes, under `failure = "continue"`, and an output the workflow keeps. Each
/// is that node's contained panic.
#[tokio::test]
async fn a_panicking_clone_of_a_shared_value_is_the_readers_panic_however_it_runs() {
    quiet();
    let rt = Runtime::new();
    let rt2 = rt.clone();
    let errors = tokio::spawn(async move {
        let chain = rt2
            .execute(SharesBadIntoChain, SharesBadIntoChainInput { n: 3 })
            .await
            .unwrap_err();
        let spawned = rt2
            .execute(SharesBadSpawned, SharesBadSpawnedInput { n: 4 })
            .await
            .unwrap_err();
        let kept = rt2
            .execute(SharesBadKept, SharesBadKeptInput { n: 5 })
            .await
            .unwrap_err();
        let RunOutcome { result, report, .. } = rt2
            .execute_report(
                SharesBadContinue,
                SharesBadContinueInput { n: 6 },
                RunOptions::new(),
            )
            .await;
        (chain, spawned, kept, result.unwrap_err(), report)
    });
    let (chain, spawned, kept, continued, report) =
        errors.await.expect("the run's task did not panic");
    for (e, node, n) in [(&chain, "x", 3), (&spawned, "x", 4), (&kept, "x", 5)] {
        assert!(e.is_panic(), "{e:?}");
        assert_eq!(e.node(), Some(node), "{e}");
        assert!(
            e.to_string().contains(&format!(
                "panicked: boom cloning {n} (while cloning an input it shares"
            )),
            "{e}"
        );
    }
    // Under `continue`, `x` (the first to start, the one cloned for) failed, `y` ran.
    assert!(continued.is_panic(), "{continued:?}");
    assert_eq!(continued.node(), Some("x"), "{continued}");
    assert_eq!(report.node("x").unwrap().status, NodeStatus::Failed);
    assert_eq!(report.node("y").unwrap().status, NodeStatus::Succeeded);
    assert_eq!(rt.execute(Fine, FineInput {}).await.unwrap().outputs.x, 1);
    assert_eq!(rt.active_runs(), 0);
}

#[node]
async fn use_bad_item(item: u32, b: BadClone) -> u32 {
    item + b.0
}

workflow! {
    /// Every item reads `b`, cloned for each as the item's input is made.
    struct SharesBadPerItem {
        input n: u32,
        input items: Vec<u32>,
        b = make_bad(n),
        out = for item in items { r = use_bad_item(item, b), } => r,
    }
}

/// A value every item of a fan-out reads is cloned into each item's input: a `Clone`
/// that panics there fails the run with a panic naming the fan-out, contained.
#[tokio::test]
async fn a_panicking_clone_into_a_fan_outs_items_is_contained() {
    quiet();
    let rt = Runtime::new();
    let rt2 = rt.clone();
    let e = tokio::spawn(async move {
        rt2.execute(
            SharesBadPerItem,
            SharesBadPerItemInput {
                n: 8,
                items: vec![1, 2, 3],
            },
        )
        .await
        .unwrap_err()
    })
    .await
    .expect("the run's task did not panic");
    assert!(e.is_panic(), "{e:?}");
    assert_eq!(e.node(), Some("out"), "{e}");
    assert_eq!(
        e.to_string(),
        "node `out` of workflow `SharesBadPerItem` panicked: boom cloning 8 \
         (while cloning an input of item 0 that the fan-out's items share, before that item ran)"
    );
    assert_eq!(format!("{e:#}"), e.to_string());
    assert_eq!(rt.execute(Fine, FineInput {}).await.unwrap().outputs.x, 1);
}

/// A value whose `Clone` works `left` more times, then panics.
struct ClonesOut {
    left: Arc<AtomicUsize>,
}

impl Clone for ClonesOut {
    fn clone(&self) -> Self {
        let left = self.left.load(Ordering::SeqCst);
        if left == 0 {
            panic!("boom: out of clones");
        }
        self.left.store(left - 1, Ordering::SeqCst);
        Self {
            left: Arc::clone(&self.left),
        }
    }
}

#[node]
async fn make_clones(ok: usize) -> ClonesOut {
    ClonesOut {
        left: Arc::new(AtomicUsize::new(ok)),
    }
}

#[node]
async fn use_clones(item: u32, c: ClonesOut) -> u32 {
    drop(c);
    item + 1
}

workflow! {
    /// Each item's input holds a clone of `c`, whose third clone panics.
    struct ClonesOutPerItem {
        input ok: usize,
        input items: Vec<u32>,
        c = make_clones(ok),
        out = for item in items { r = use_clones(item, c), } => r,
    }
}

workflow! {
    /// The same, collecting each item's result.
    struct ClonesOutCollected {
        input ok: usize,
        input items: Vec<u32>,
        c = make_clones(ok),
        #[failure = "collect"]
        out = for item in items { r = use_clones(item, c), } => r,
    }
}

/// A clone into a later item's input that panics names that item: the items before it
/// ran (and their reports say so), the items from it on never started.
#[tokio::test]
async fn a_panicking_clone_into_a_later_item_names_that_item() {
    quiet();
    let rt = Runtime::new();
    let rt2 = rt.clone();
    let (failed, collected) = tokio::spawn(async move {
        let input = || (2, vec![10, 20, 30, 40]);
        let (ok, items) = input();
        let failed = rt2
            .execute_report(
                ClonesOutPerItem,
                ClonesOutPerItemInput { ok, items },
                RunOptions::new(),
            )
            .await;
        let (ok, items) = input();
        let collected = rt2
            .execute(ClonesOutCollected, ClonesOutCollectedInput { ok, items })
            .await
            .unwrap_err();
        (failed, collected)
    })
    .await
    .expect("the run's task did not panic");
    let RunOutcome { result, report, .. } = failed;
    let e = result.unwrap_err();
    assert!(e.is_panic(), "{e:?}");
    assert_eq!(e.node(), Some("out"), "{e}");
    assert_eq!(
        e.to_string(),
        "node `out` of workflow `ClonesOutPerItem` panicked: boom: out of clones \
         (while cloning an input of item 2 that the fan-out's items share, before that item ran)"
    );
    for (node, status) in [
        ("out[0].r", NodeStatus::Succeeded),
        ("out[1].r", NodeStatus::Succeeded),
        ("out[2].r", NodeStatus::Skipped),
        ("out[3].r", NodeStatus::Skipped),
    ] {
        assert_eq!(
            report.node(node).map(|n| n.status),
            Some(status),
            "{node}: {report}"
        );
    }
    assert!(collected.is_panic(), "{collected:?}");
    assert_eq!(
        collected.to_string(),
        "node `out` of workflow `ClonesOutCollected` panicked: boom: out of clones \
         (while cloning an input of item 2 that the fan-out's items share, before that item ran)"
    );
    assert_eq!(rt.execute(Fine, FineInput {}).await.unwrap().outputs.x, 1);
    assert_eq!(rt.active_runs(), 0);
}
