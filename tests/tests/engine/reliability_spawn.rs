//! Spawned nodes (`#[spawn]`) that time out or are cancelled: their task must be gone
//! before the node counts as finished, and `Runtime::shutdown` waits for it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use workflow_core::prelude::*;

/// Counts live bodies of the nodes below; a body leaves the count when it ends or its
/// future is dropped.
#[derive(Debug, Default)]
struct Live {
    now: AtomicUsize,
    max: AtomicUsize,
}

struct Enter<'a>(&'a Live);

impl<'a> Enter<'a> {
    fn new(live: &'a Live) -> Self {
        let n = live.now.fetch_add(1, Ordering::SeqCst) + 1;
        live.max.fetch_max(n, Ordering::SeqCst);
        Self(live)
    }
}

impl Drop for Enter<'_> {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::SeqCst);
    }
}

#[node]
async fn slow(live: Res<Live>) -> u32 {
    let _in = Enter::new(&live);
    tokio::time::sleep(Duration::from_secs(10)).await;
    1
}

#[node]
async fn after(_x: u32, live: Res<Live>) -> u32 {
    let _in = Enter::new(&live);
    2
}

#[node]
async fn quick(live: Res<Live>) -> u32 {
    let _in = Enter::new(&live);
    3
}

workflow! {
    #[workflow(sequential, failure = "continue")]
    struct TimedOutSpawn {
        #[spawn] #[timeout = "50ms"] #[retry(max = 3)]
        s = slow(),
        q = quick(),
    }
}

workflow! {
    struct CancelledSpawn {
        #[spawn]
        s = slow(),
        a = after(_x: s),
    }
}

/// A spawned attempt that timed out is dropped before the next attempt (or the next
/// node of a sequential run) starts: never two attempts of one node at once, and the
/// sequential limit holds.
#[tokio::test(start_paused = true)]
async fn timed_out_spawned_attempt_ends_before_the_next_starts() {
    let rt = Runtime::builder().resource(Live::default()).build();
    let live = rt.resource::<Live>().unwrap();
    let err = rt
        .execute(TimedOutSpawn, TimedOutSpawnInput {})
        .await
        .unwrap_err();
    // `q` runs after `s` gave up (failure = continue).
    assert!(err.is_timeout(), "{err}");
    assert_eq!(err.node(), Some("s"));
    assert_eq!(err.attempts(), None);
    assert_eq!(
        live.max.load(Ordering::SeqCst),
        1,
        "two node bodies were alive at once in a sequential run"
    );
    assert_eq!(live.now.load(Ordering::SeqCst), 0);
}

/// When a run is cancelled, `shutdown` waits until its aborted spawned nodes are gone
/// before running cleanup, so no node still holds a resource being cleaned up.
#[tokio::test(start_paused = true)]
async fn shutdown_waits_for_aborted_spawned_nodes() {
    let cleaned_while_live = Arc::new(AtomicUsize::new(usize::MAX));
    let seen = Arc::clone(&cleaned_while_live);
    let rt = Runtime::builder()
        .resource_with_cleanup(Live::default(), move |live: Arc<Live>| async move {
            seen.store(live.now.load(Ordering::SeqCst), Ordering::SeqCst);
        })
        .build();
    for _ in 0..50 {
        let run = rt.execute(CancelledSpawn, CancelledSpawnInput {});
        // Drop the run while its spawned node sleeps.
        let _ = tokio::time::timeout(Duration::from_millis(1), run).await;
    }
    let report = rt.shutdown().await;
    assert_eq!(report.cleaned.len(), 1);
    assert_eq!(
        cleaned_while_live.load(Ordering::SeqCst),
        0,
        "cleanup ran while aborted spawned nodes were still alive"
    );
}
