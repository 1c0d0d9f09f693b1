//! A durable run whose router runs again on resume (its matched node changed, or its
//! version was bumped) may take another arm than the recorded one, and does. Before,
//! the resumed run held the decision to the recorded arm while the router took the
//! other: the new arm's nodes were left "not taken", and the run panicked reading the
//! merge nobody wrote ("workflow slot read before it was written; this is a bug in
//! workflow-core", trial31).

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use workflow_core::prelude::*;
use workflow_core::store::{MemoryStore, RunId, Store};

use crate::support::memory_runtime;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum Size {
    Big(u32),
    Small(u32),
}

/// Calls per node fn, per runtime.
#[derive(Default)]
struct Calls {
    big: AtomicUsize,
    small: AtomicUsize,
}

#[node]
async fn big_work(n: u32, calls: Res<Calls>) -> String {
    calls.big.fetch_add(1, SeqCst);
    format!("big{n}")
}

#[node]
async fn small_work(n: u32, calls: Res<Calls>) -> String {
    calls.small.fetch_add(1, SeqCst);
    format!("small{n}")
}

/// Hangs on a big result: the first process "dies" here, after the arm was recorded.
#[node]
async fn hold(s: String) -> String {
    if s.starts_with("big") {
        std::future::pending::<()>().await;
    }
    s
}

#[node]
async fn size_v1(n: u32) -> Size {
    Size::Big(n)
}

#[node]
async fn size_v2(n: u32) -> Size {
    Size::Small(n)
}

mod started {
    use super::*;
    workflow! {
        #[workflow(durable)]
        pub(crate) struct Route {
            input n: u32,
            k = size_v1(n),
            match k {
                Size::Big(b) => { x = big_work(n: b), }
                Size::Small(s) => { x = small_work(n: s), }
            }
            out = hold(s: x),
        }
    }
}

/// The same graph, `k` calling another fn.
mod changed_fn {
    use super::*;
    workflow! {
        #[workflow(durable)]
        pub(crate) struct Route {
            input n: u32,
            k = size_v2(n),
            match k {
                Size::Big(b) => { x = big_work(n: b), }
                Size::Small(s) => { x = small_work(n: s), }
            }
            out = hold(s: x),
        }
    }
}

/// The same graph and fn name as `started`, its code changed and its version bumped.
mod bumped {
    // Not `super::*`: its `size_v1` would clash with this one (the macro `#[node]`
    // generates beside each fn is ambiguous between a glob import and a local item).
    use super::{big_work, hold, small_work, Size};
    use workflow_core::prelude::*;

    #[node(version = 2)]
    async fn size_v1(n: u32) -> Size {
        Size::Small(n)
    }

    workflow! {
        #[workflow(durable)]
        pub(crate) struct Route {
            input n: u32,
            k = size_v1(n),
            match k {
                Size::Big(b) => { x = big_work(n: b), }
                Size::Small(s) => { x = small_work(n: s), }
            }
            out = hold(s: x),
        }
    }
}

/// A run of `started::Route` cut in `out`, after `k`, its arm (`Big`) and `x` were
/// recorded.
async fn cut_run(store: &Arc<MemoryStore>, calls: &Arc<Calls>) -> RunId {
    let rt = memory_runtime(store, calls);
    let run = rt.start_durable(started::Route, started::RouteInput { n: 5 }, None);
    assert!(tokio::time::timeout(Duration::from_secs(1), run)
        .await
        .is_err());
    assert_eq!(calls.big.load(SeqCst), 1);
    store.list_runs(Default::default()).await.unwrap()[0].id
}

#[tokio::test(start_paused = true)]
async fn a_router_whose_matched_node_changed_takes_its_new_arm() {
    let store = Arc::new(MemoryStore::new());
    let calls = Arc::new(Calls::default());
    let run = cut_run(&store, &calls).await;
    let rt = memory_runtime(&store, &calls);
    let resumed = rt.resume(changed_fn::Route, run).await.unwrap();
    assert_eq!(resumed.outputs.out, "small5");
    assert_eq!(calls.small.load(SeqCst), 1);
    assert_eq!(calls.big.load(SeqCst), 1, "the big arm did not run again");
    assert!(resumed.restored().is_empty(), "{:?}", resumed.restored());
    let big = resumed.node("x (big_work)").unwrap();
    assert_eq!(big.status, NodeStatus::NotTaken);
    assert_eq!(resumed.node("x").unwrap().node_fn, "small_work");
}

#[tokio::test(start_paused = true)]
async fn a_router_whose_matched_node_was_bumped_takes_its_new_arm() {
    let store = Arc::new(MemoryStore::new());
    let calls = Arc::new(Calls::default());
    let run = cut_run(&store, &calls).await;
    let rt = memory_runtime(&store, &calls);
    let resumed = rt.resume(bumped::Route, run).await.unwrap();
    assert_eq!(resumed.outputs.out, "small5");
    assert_eq!(calls.small.load(SeqCst), 1);
    assert_eq!(calls.big.load(SeqCst), 1);
    // A later resume of the finished run is refused, not run a third way.
    assert!(rt.resume(bumped::Route, run).await.is_err());
}

#[tokio::test(start_paused = true)]
async fn a_router_that_takes_the_same_arm_again_restores_that_arm() {
    let store = Arc::new(MemoryStore::new());
    let calls = Arc::new(Calls::default());
    let run = cut_run(&store, &calls).await;
    // `started` again: nothing changed, `k`, the arm and `x` are restored, `out` runs
    // (and hangs again: cut it).
    let rt = memory_runtime(&store, &calls);
    let again = rt.resume(started::Route, run);
    assert!(tokio::time::timeout(Duration::from_secs(1), again)
        .await
        .is_err());
    assert_eq!(calls.big.load(SeqCst), 1, "x was restored");
}

// ---- The same change inside a sub-workflow that fan-out items call ----
//
// The parent's entries for `ys = for x in xs { r = Sized(n: x), } => r` and
// `ys = map(Sized, xs)` name `Sized` but, before, not what is in it: a resume after
// `Sized`'s router changed restored each item's rows of the old graph (`k` = `Big`, its
// arm, `x`) and hung in `hold` again, as a sub-workflow binding did before its entry
// carried its shape's hash.

#[node]
async fn one_item(n: u32) -> Vec<u32> {
    vec![n]
}

/// `Sized` (a router inside), called per item by a `for` body (`PerItem`) and a `map`
/// (`Mapped`), and by a sub-workflow that fans out over it (`Nested`): the same text in
/// `started_items` and `changed_items` but for `Sized`'s `k`.
macro_rules! fan_outs_over_sized {
    ($size:ident) => {
        workflow! {
            #[workflow(durable)]
            pub(crate) struct Sized {
                input n: u32,
                k = $size(n),
                match k {
                    Size::Big(b) => { x = big_work(n: b), }
                    Size::Small(s) => { x = small_work(n: s), }
                }
                #[output]
                out = hold(s: x),
            }
        }

        workflow! {
            #[workflow(durable)]
            pub(crate) struct PerItem {
                input n: u32,
                xs = one_item(n),
                #[output]
                ys = for x in xs {
                    r = Sized(n: x),
                } => r,
            }
        }

        workflow! {
            #[workflow(durable)]
            pub(crate) struct Mapped {
                input n: u32,
                xs = one_item(n),
                #[output]
                ys = map(Sized, xs),
            }
        }

        workflow! {
            #[workflow(durable)]
            pub(crate) struct Nested {
                input n: u32,
                #[output]
                inner = PerItem(n: n),
            }
        }
    };
}

mod started_items {
    use super::{big_work, hold, one_item, size_v1, small_work, Size};
    use workflow_core::prelude::*;
    fan_outs_over_sized!(size_v1);
}

/// `Sized`'s `k` calls another fn; the parents read the same.
mod changed_items {
    use super::{big_work, hold, one_item, size_v2, small_work, Size};
    use workflow_core::prelude::*;
    fan_outs_over_sized!(size_v2);
}

/// The run `start` made, cut in item 0's `hold` after its `k`, arm and `x` were recorded.
async fn cut_items_run<F: std::future::Future>(
    store: &Arc<MemoryStore>,
    calls: &Arc<Calls>,
    start: impl FnOnce(Runtime) -> F,
) -> RunId {
    let rt = memory_runtime(store, calls);
    assert!(tokio::time::timeout(Duration::from_secs(1), start(rt))
        .await
        .is_err());
    assert_eq!(calls.big.load(SeqCst), 1);
    store.list_runs(Default::default()).await.unwrap()[0].id
}

/// The resume of a cut run, which must end: a stale restore hangs in `hold`.
async fn must_end<T>(resume: impl std::future::Future<Output = Result<T, WorkflowError>>) -> T {
    tokio::time::timeout(Duration::from_secs(60), resume)
        .await
        .expect("the resume hung: it restored the item's rows of the old `Sized`")
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_router_changed_inside_a_for_items_sub_workflow_takes_its_new_arm() {
    let store = Arc::new(MemoryStore::new());
    let calls = Arc::new(Calls::default());
    let run = cut_items_run(&store, &calls, |rt| async move {
        rt.start_durable(
            started_items::PerItem,
            started_items::PerItemInput { n: 5 },
            None,
        )
        .await
    })
    .await;
    let rt = memory_runtime(&store, &calls);
    let resumed = must_end(rt.resume(changed_items::PerItem, run)).await;
    assert_eq!(resumed.outputs.ys[0].out, "small5");
    assert_eq!(calls.small.load(SeqCst), 1);
    assert_eq!(calls.big.load(SeqCst), 1, "the big arm did not run again");
    assert_eq!(resumed.restored(), ["xs"]);
}

#[tokio::test(start_paused = true)]
async fn a_router_changed_inside_a_mapped_workflow_takes_its_new_arm() {
    let store = Arc::new(MemoryStore::new());
    let calls = Arc::new(Calls::default());
    let run = cut_items_run(&store, &calls, |rt| async move {
        rt.start_durable(
            started_items::Mapped,
            started_items::MappedInput { n: 5 },
            None,
        )
        .await
    })
    .await;
    let rt = memory_runtime(&store, &calls);
    let resumed = must_end(rt.resume(changed_items::Mapped, run)).await;
    assert_eq!(resumed.outputs.ys[0].out, "small5");
    assert_eq!((calls.small.load(SeqCst), calls.big.load(SeqCst)), (1, 1));
    assert_eq!(resumed.restored(), ["xs"]);
}

#[tokio::test(start_paused = true)]
async fn a_router_changed_inside_a_sub_workflows_fan_out_takes_its_new_arm() {
    let store = Arc::new(MemoryStore::new());
    let calls = Arc::new(Calls::default());
    let run = cut_items_run(&store, &calls, |rt| async move {
        rt.start_durable(
            started_items::Nested,
            started_items::NestedInput { n: 5 },
            None,
        )
        .await
    })
    .await;
    let rt = memory_runtime(&store, &calls);
    let resumed = must_end(rt.resume(changed_items::Nested, run)).await;
    assert_eq!(resumed.outputs.inner.ys[0].out, "small5");
    assert_eq!((calls.small.load(SeqCst), calls.big.load(SeqCst)), (1, 1));
    // `inner` runs again as a whole: its shape's hash covers its fan-out's items.
    assert!(resumed.restored().is_empty(), "{:?}", resumed.restored());
}

/// The entries of fan-outs (and of a sub-workflow holding one) carry the hash of what
/// their items run, nested sub-workflows included: `Sized` changed, so they differ, and
/// only they (and `Sized`'s own `k`) do.
#[test]
fn fan_out_entries_carry_the_shape_of_what_their_items_run() {
    use workflow_core::__private::durable_fingerprint as fp;
    let entry = |fingerprint: &str, name: &str| {
        fingerprint
            .split(';')
            .find(|e| e.starts_with(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name} in {fingerprint}"))
            .to_owned()
    };
    for (old, new, name) in [
        (
            fp::<started_items::PerItem>(),
            fp::<changed_items::PerItem>(),
            "ys",
        ),
        (
            fp::<started_items::Mapped>(),
            fp::<changed_items::Mapped>(),
            "ys",
        ),
        (
            fp::<started_items::Nested>(),
            fp::<changed_items::Nested>(),
            "inner",
        ),
    ] {
        let (old, new) = (entry(&old, name), entry(&new, name));
        let (text, hash) = old.split_once('#').expect("a hash after the entry");
        assert_eq!(hash.len(), 16, "{old}");
        assert_ne!(old, new);
        assert_eq!(new.split_once('#').unwrap().0, text, "the text is the same");
    }
    let (old, new) = (
        fp::<started_items::PerItem>(),
        fp::<changed_items::PerItem>(),
    );
    assert_eq!(entry(&old, "xs"), entry(&new, "xs"));
}
