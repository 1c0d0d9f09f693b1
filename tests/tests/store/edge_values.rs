//! Edge values of the durable options, as an outside crate would pass them: each works as
//! its documentation says, never a panic or a hang.

use std::sync::Arc;
use std::time::Duration;

use workflow_core::prelude::*;
use workflow_core::store::{MemoryStore, OwnerId, RunStatus, Store};

#[node]
async fn nap(ms: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    ms
}

workflow! {
    #[workflow(durable)]
    struct TwoNaps {
        input ms: u64,
        a = nap(ms),
        b = nap(ms: a),
    }
}

/// `RuntimeBuilder::lease`: a zero lease has expired when written (another owner could
/// claim the run), and this runtime renews it about once a millisecond; `Duration::MAX`
/// saturates to the store's largest time. Both runs succeed, on tokio's paused clock too.
#[tokio::test(start_paused = true)]
async fn zero_and_duration_max_leases_run_as_documented() {
    for lease in [Duration::ZERO, Duration::MAX] {
        let store = Arc::new(MemoryStore::new());
        let rt = Runtime::builder()
            .store_arc(Arc::clone(&store) as Arc<dyn Store>)
            .owner(OwnerId::new("me"))
            .lease(lease)
            .build();
        let start = tokio::time::Instant::now();
        let run = rt
            .start_durable(TwoNaps, TwoNapsInput { ms: 20 }, None)
            .await
            .unwrap();
        assert_eq!(run.outputs.b, 20, "{lease:?}");
        assert_eq!(start.elapsed(), Duration::from_millis(40), "{lease:?}");
        let state = store.load_run(run.run_id).await.unwrap();
        assert_eq!(state.run.status, RunStatus::Succeeded, "{lease:?}");
        let commits = store.stats().commits;
        if lease.is_zero() {
            // Renewed on each millisecond tick of the 40 ms run, not in a busy loop.
            assert!((10..=200).contains(&commits), "{commits} commits");
        } else {
            assert!(commits < 10, "{commits} commits");
        }
    }
}
