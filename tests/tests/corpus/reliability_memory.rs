//! Memory comes back: after a warm-up, batches of thousands of faulty runs (failing,
//! panicking, timing out, dropped mid-flight) leave the heap where it was.
//!
//! Measured with `workflow_test`'s counting global allocator and a [`MemoryProbe`] on
//! the test's thread (the runtime is current-thread, so every allocation of the runs
//! happens there; the other tests of this binary run on other threads, which the probe
//! does not count).

use crate::support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use support::*;
use workflow_core::prelude::*;
use workflow_test::MemoryProbe;

/// Runs `n` concurrent faulty runs to their end (some dropped mid-flight).
async fn batch(rt: &Runtime, rng: &mut Rng, n: usize, live: &Arc<AtomicUsize>) {
    let mut handles = Vec::with_capacity(n);
    for k in 0..n {
        let shape = rng.below(SHAPE_COUNT as u64) as usize;
        let nodes = SHAPES[shape].nodes.len();
        let behaviour: Vec<Behaviour> = (0..nodes)
            .map(|_| Behaviour {
                sleep_ms: rng.below(11) * 10,
                fault: if rng.chance(6) {
                    match rng.below(4) {
                        0 => Fault::Fail { first: 2 },
                        1 => Fault::Fail { first: u32::MAX },
                        2 => Fault::Panic,
                        _ => Fault::Hang,
                    }
                } else {
                    Fault::None
                },
            })
            .collect();
        let script = Script::with_live(behaviour, Arc::clone(live));
        let opts = RunOptions::new().timeout(Duration::from_millis(5 * rng.below(300) + 503));
        let fut = run(shape, rt, &script, opts);
        let drop_after = (k % 8 == 0).then(|| Duration::from_millis(rng.below(400)));
        handles.push(tokio::spawn(async move {
            match drop_after {
                Some(d) => drop(tokio::time::timeout(d, fut).await),
                None => drop(fut.await),
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    // Let tokio drop aborted spawned nodes.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(live.load(Ordering::SeqCst), 0);
}

#[test]
fn memory_returns_to_its_level_after_thousands_of_faulty_runs() {
    quiet_injected_panics();
    paused_runtime().block_on(async {
        let rt = Runtime::builder().resource(Probe).build();
        let live = Arc::new(AtomicUsize::new(0));
        let mut rng = Rng(0x3E3);
        // Warm-up: tokio's timer wheel, task slabs and the like reach their size.
        batch(&rt, &mut rng, 2000, &live).await;
        batch(&rt, &mut rng, 2000, &live).await;
        let probe = MemoryProbe::start();
        assert!(probe.is_isolated(), "the probe counts this test's thread only");
        let mut levels = Vec::new();
        for _ in 0..3 {
            batch(&rt, &mut rng, 2000, &live).await;
            levels.push(probe.stats().net_bytes);
        }
        let stats = probe.stats();
        let allocations = stats.allocations;
        eprintln!(
            "6000 runs: {allocations} allocations ({} per run); heap vs. after warm-up: {levels:?} bytes",
            allocations / 6000
        );
        // A leak of even one small allocation per run would show as 6000 blocks here;
        // allow for a little noise (tokio's internal buffers).
        let growth = *levels.last().unwrap();
        assert!(
            growth < 4 * 1024,
            "heap grew by {growth} bytes over 6000 runs: {levels:?}"
        );
        let blocks = stats.allocations as i64 - stats.deallocations as i64;
        assert!(blocks < 16, "{blocks} more live allocations after 6000 runs");
        rt.shutdown().await;
    });
}
