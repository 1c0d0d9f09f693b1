//! Durable runs with a `match`: the arm a run took is recorded (as its router's output),
//! and a resumed run takes that arm again, even when its guards would now choose
//! another; the arms' nodes restore or run like any others.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use workflow_core::prelude::*;
use workflow_core::store::{
    CreatedRun, GraphFingerprint, ManualClock, MemoryStore, NewRun, OwnerId, Record,
    RecordedOutput, Store, Timestamp,
};

#[derive(Default)]
struct Calls {
    small: AtomicU32,
    large: AtomicU32,
}

#[node]
async fn measure(n: u64) -> u64 {
    n
}

#[node]
async fn small(x: u64, calls: Res<Calls>) -> String {
    calls.small.fetch_add(1, Ordering::SeqCst);
    format!("small {x}")
}

#[node]
async fn large(x: u64, calls: Res<Calls>) -> String {
    calls.large.fetch_add(1, Ordering::SeqCst);
    format!("large {x}")
}

#[node]
async fn shout(r: String) -> String {
    r.to_uppercase()
}

workflow! {
    #[workflow(durable)]
    struct Sized {
        input n: u64,
        t = measure(n),
        match t {
            x if x < 10 => { r = small(x), }
            x => { r = large(x), }
        }
        out = shout(r),
    }
}

fn runtime(store: Arc<dyn Store>) -> Runtime {
    Runtime::builder()
        .store_arc(store)
        .owner(OwnerId::new("test"))
        .resource(Calls::default())
        .build()
}

#[tokio::test]
async fn a_fresh_run_records_the_arm_it_took() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let rt = Runtime::builder()
        .store_arc(Arc::clone(&store))
        .owner(OwnerId::new("test"))
        .keep_records(true)
        .resource(Calls::default())
        .build();
    let run = rt
        .start_durable(Sized, SizedInput { n: 3 }, None)
        .await
        .unwrap();
    assert_eq!(run.outputs.out, "SMALL 3");
    let loaded = store.load_run(run.run_id).await.unwrap();
    let arm = loaded
        .outputs
        .iter()
        .find(|o| o.path.as_str() == "match_t")
        .expect("the router's row");
    assert_eq!(arm.value, b"0");
}

/// A run that measured 5 and took the second arm (under a guard that has since changed),
/// with `t`, its decision and `rows` recorded, whose owner died; the clock is past its
/// lease.
async fn dead_run(rows: &[(&str, &str)]) -> (Arc<dyn Store>, workflow_core::store::RunId) {
    let clock = ManualClock::new(Timestamp(1_000_000));
    let store: Arc<dyn Store> = Arc::new(MemoryStore::with_clock(Arc::new(clock.clone())));
    let created = store
        .create_run(NewRun {
            workflow: "Sized".into(),
            fingerprint: GraphFingerprint(
                <Sized as workflow_core::DurableWorkflow>::FINGERPRINT.into(),
            ),
            input: workflow_core::store::encode(&[5u64], None, "input").unwrap(),
            idempotency_key: None,
            owner: OwnerId::new("dead"),
            lease: Duration::from_secs(10),
        })
        .await
        .unwrap();
    let CreatedRun::New(claimed) = created else {
        panic!("new run")
    };
    let run = claimed.run.id;
    let t = RecordedOutput::encode(run, "t".parse().unwrap(), 1, &5u64).unwrap();
    let arm = RecordedOutput::encode(run, "match_t".parse().unwrap(), 1, &1usize).unwrap();
    let mut records = vec![Record::Output(t), Record::Output(arm)];
    for (path, value) in rows {
        records.push(Record::Output(
            RecordedOutput::encode(run, path.parse().unwrap(), 1, &value.to_string()).unwrap(),
        ));
    }
    store.record_all(&claimed.lease, records).await.unwrap();
    clock.advance(Duration::from_secs(11));
    (store, run)
}

#[tokio::test]
async fn a_resumed_run_takes_the_recorded_arm() {
    // `r` was not recorded.
    let (store, run) = dead_run(&[]).await;
    let rt = runtime(Arc::clone(&store));
    let resumed = rt.resume(Sized, run).await.unwrap();
    assert_eq!(resumed.outputs.out, "LARGE 5");
    assert_eq!(resumed.restored(), ["t"]);
    let calls = rt.resource::<Calls>().unwrap();
    assert_eq!(
        (
            calls.small.load(Ordering::SeqCst),
            calls.large.load(Ordering::SeqCst)
        ),
        (0, 1)
    );
    let report = resumed.report.unwrap();
    let r: Vec<NodeStatus> = report
        .nodes
        .iter()
        .filter(|n| n.name == "r")
        .map(|n| n.status)
        .collect();
    assert_eq!(r, [NodeStatus::NotTaken, NodeStatus::Succeeded]);
}

/// The merge `r` is defined in both arms; its row belongs to the arm taken (the second),
/// and the first arm, which never ran and has no rows, does not make what follows the
/// decision run again.
#[tokio::test]
async fn a_merge_recorded_in_the_taken_arm_is_restored() {
    let (store, run) = dead_run(&[("r", "large 5")]).await;
    let rt = runtime(Arc::clone(&store));
    let resumed = rt.resume(Sized, run).await.unwrap();
    assert_eq!(resumed.outputs.out, "LARGE 5");
    let mut restored = resumed.restored();
    restored.sort_unstable();
    assert_eq!(restored, ["r", "t"]);
    let calls = rt.resource::<Calls>().unwrap();
    assert_eq!(
        (
            calls.small.load(Ordering::SeqCst),
            calls.large.load(Ordering::SeqCst)
        ),
        (0, 0)
    );
}

#[node]
async fn gated_large(x: u64, calls: Res<Calls>, gate: Res<tokio::sync::Semaphore>) -> String {
    calls.large.fetch_add(1, Ordering::SeqCst);
    let _permit = gate.acquire().await.unwrap();
    format!("large {x}")
}

#[node]
async fn joined(v: Vec<String>) -> String {
    v.join(", ")
}

workflow! {
    /// A `match` inside a durable `for` body: each item records the arm it took. (This
    /// did not compile: the body's router called the route fn of a `NodeByNode` impl that
    /// a body does not get.)
    #[workflow(durable)]
    struct SizedItems {
        input ns: Vec<u64>,
        labels = for n in ns {
            t = measure(n),
            match t {
                x if x < 10 => { r = small(x), }
                x => { r = gated_large(x), }
            }
        } => r,
        out = joined(v: labels),
    }
}

#[tokio::test]
async fn a_match_in_a_durable_for_body_restores_each_items_arm_on_resume() {
    let clock = ManualClock::new(Timestamp(1_000_000));
    let store: Arc<dyn Store> = Arc::new(MemoryStore::with_clock(Arc::new(clock.clone())));
    let input = || SizedItemsInput { ns: vec![3, 40, 7] };
    // The first owner: item 1 waits on a closed gate while items 0 and 2 are recorded.
    let first = Runtime::builder()
        .store_arc(Arc::clone(&store))
        .owner(OwnerId::new("first"))
        .lease(Duration::from_secs(10))
        .resource(Calls::default())
        .resource(tokio::sync::Semaphore::new(0))
        .build();
    let cut = tokio::time::timeout(
        Duration::from_millis(200),
        first.start_durable(SizedItems, input(), Some("items")),
    )
    .await;
    assert!(cut.is_err(), "item 1 waits on the gate");
    drop(first);
    clock.advance(Duration::from_secs(11));

    let second = Runtime::builder()
        .store_arc(Arc::clone(&store))
        .owner(OwnerId::new("second"))
        .resource(Calls::default())
        .resource(tokio::sync::Semaphore::new(1))
        .build();
    let run = second
        .start_durable(SizedItems, input(), Some("items"))
        .await
        .unwrap();
    assert_eq!(run.outputs.out, "small 3, large 40, small 7");
    let calls = second.resource::<Calls>().unwrap();
    assert_eq!(
        (
            calls.small.load(Ordering::SeqCst),
            calls.large.load(Ordering::SeqCst)
        ),
        (0, 1),
        "only the unfinished item runs again"
    );
    let report = run.report.unwrap();
    assert_eq!(
        report.node("labels[0].r").unwrap().status,
        NodeStatus::Restored
    );
    assert_eq!(
        report.node("labels[1].r").unwrap().status,
        NodeStatus::Succeeded
    );
}
