//! Edge values of the public options, as an outside crate would pass them: each either
//! works as its documentation says or fails with a typed error, never a panic.

use std::time::Duration;

use workflow_core::prelude::*;

#[node]
async fn nap(ms: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    ms
}

workflow! {
    struct FanNaps {
        input mss: Vec<u64>,
        naps = for ms in mss {
            n = nap(ms),
        } => n,
    }
}

/// `max_concurrent_nodes(usize::MAX)` ("no limit, really") built a tokio semaphore of
/// that many permits, which panics above `Semaphore::MAX_PERMITS`.
#[tokio::test(start_paused = true)]
async fn a_node_limit_of_usize_max_is_no_limit() {
    let start = tokio::time::Instant::now();
    let rt = Runtime::builder().max_concurrent_nodes(usize::MAX).build();
    let run = rt
        .execute(
            FanNaps,
            FanNapsInput {
                mss: vec![10, 10, 10],
            },
        )
        .await
        .unwrap();
    assert_eq!(run.outputs.naps, [10, 10, 10]);
    // No limit: the three items ran side by side.
    assert_eq!(start.elapsed(), Duration::from_millis(10));
    // And the harness's builder, which passes it on.
    let h = workflow_test::Harness::builder()
        .max_concurrent_nodes(usize::MAX)
        .build();
    let run = h
        .execute(FanNaps, FanNapsInput { mss: vec![1, 2] })
        .await
        .unwrap();
    assert_eq!(run.outputs.naps, [1, 2]);
}
