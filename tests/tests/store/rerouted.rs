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
use workflow_core::store::{MemoryStore, OwnerId, RunId, Store};

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

fn runtime(store: &Arc<MemoryStore>, calls: &Arc<Calls>) -> Runtime {
    Runtime::builder()
        .store_arc(Arc::clone(store) as Arc<dyn Store>)
        .owner(OwnerId::new("me"))
        .resource_arc(Arc::clone(calls))
        .build()
}

/// A run of `started::Route` cut in `out`, after `k`, its arm (`Big`) and `x` were
/// recorded.
async fn cut_run(store: &Arc<MemoryStore>, calls: &Arc<Calls>) -> RunId {
    let rt = runtime(store, calls);
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
    let rt = runtime(&store, &calls);
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
    let rt = runtime(&store, &calls);
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
    let rt = runtime(&store, &calls);
    let again = rt.resume(started::Route, run);
    assert!(tokio::time::timeout(Duration::from_secs(1), again)
        .await
        .is_err());
    assert_eq!(calls.big.load(SeqCst), 1, "x was restored");
}
