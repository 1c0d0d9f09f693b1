//! Cancellation safety: a run dropped at any poll point, or at any instant, or cancelled
//! through its token, leaks nothing, never runs a node twice, and never runs a node
//! afterwards.
//!
//! Cases are drawn by proptest from the generated corpus and random behaviour scripts
//! (see `prop_dag.rs`), under tokio's paused clock. A run is stopped in one of three ways:
//! its future is dropped after its k-th poll (a wrapper that polls it k times), or when a
//! timer fires at a random instant, or its `CancellationToken` is cancelled at a random
//! instant. Then: every started attempt finished or was dropped exactly once, attempts
//! started at the instants the reference says (nothing ran ahead of its inputs or
//! twice), nothing starts later, and the script input and `Res<Probe>` are released.

use crate::support;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use proptest::prelude::*;
use support::*;
use workflow_core::prelude::*;
use workflow_core::{NodeStatus, Res};

/// Polls the inner future at most `left` times, then drops it.
struct DropAfterPolls<F> {
    inner: Option<Pin<Box<F>>>,
    left: u32,
}

impl<F: Future> Future for DropAfterPolls<F> {
    type Output = Option<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        if self.left == 0 {
            self.inner = None;
            return Poll::Ready(None);
        }
        self.left -= 1;
        let inner = self.inner.as_mut().expect("polled after completion");
        match inner.as_mut().poll(cx) {
            Poll::Ready(v) => {
                self.inner = None;
                Poll::Ready(Some(v))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Stop {
    /// Drop the run's future after this many polls.
    Polls(u32),
    /// Drop the run's future at this instant (ms).
    DropAt(u64),
    /// Cancel the run's token at this instant (ms).
    CancelAt(u64),
}

fn stop_strategy() -> impl Strategy<Value = Stop> {
    prop_oneof![
        (0u32..40).prop_map(Stop::Polls),
        // Instants that never tie with a node's (multiples of 5 ms).
        (0u64..120).prop_map(|k| Stop::DropAt(k * 5 + 3)),
        (0u64..120).prop_map(|k| Stop::CancelAt(k * 5 + 3)),
    ]
}

fn behaviour_strategy() -> impl Strategy<Value = (usize, Vec<Behaviour>)> {
    (
        0..SHAPE_COUNT,
        proptest::collection::vec((0u64..=10, 0u8..100, 1u32..=4), MAX_NODES),
        prop_oneof![Just(0u8), Just(5), Just(20)],
    )
        .prop_map(|(shape, raw, pct)| {
            let b = raw
                .iter()
                .map(|&(sleep, roll, k)| Behaviour {
                    sleep_ms: sleep * 10,
                    fault: if roll < pct {
                        match roll % 4 {
                            0 => Fault::Fail { first: k },
                            1 => Fault::Panic,
                            2 => Fault::Hang,
                            _ => Fault::Fail { first: u32::MAX },
                        }
                    } else {
                        Fault::None
                    },
                })
                .collect();
            (shape, b)
        })
}

fn check_stopped(shape_ix: usize, behaviour: &[Behaviour], stop: Stop) {
    quiet_injected_panics();
    let shape = &SHAPES[shape_ix];
    let ctx = format!("stop {stop:?}, {}", describe(shape, behaviour));
    let refs = reference(shape, behaviour);
    let w = 100_003;
    paused_runtime().block_on(async {
        let rt = Runtime::builder().resource(Probe).build();
        let probe = rt.resource::<Probe>().unwrap();
        let script = Script::new(behaviour.to_vec());
        let token = CancellationToken::new();
        let opts = RunOptions::new()
            .timeout(Duration::from_millis(w))
            .cancel_token(token.clone());
        let fut = run(shape_ix, &rt, &script, opts);
        let outcome = match stop {
            Stop::Polls(k) => {
                DropAfterPolls {
                    inner: Some(Box::pin(fut)),
                    left: k,
                }
                .await
            }
            Stop::DropAt(t) => tokio::time::timeout(Duration::from_millis(t), fut)
                .await
                .ok(),
            Stop::CancelAt(t) => {
                let canceller = tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(t)).await;
                    token.cancel();
                });
                let out = fut.await;
                canceller.abort();
                Some(out)
            }
        };
        let stopped_at = u64::try_from(script.t0.elapsed().as_millis()).unwrap();
        let entries = script.entries();
        tokio::time::sleep(Duration::from_secs(3600)).await;
        let later = script.entries();
        assert!(
            later[entries.len()..]
                .iter()
                .all(|e| e.what == What::Dropped),
            "{ctx}: activity after the run was stopped: {:?}",
            &later[entries.len()..]
        );
        let logs = check_journal(shape, &later, None, &ctx);
        for (i, (log, r)) in logs.iter().zip(&refs).enumerate() {
            let starts = log.starts();
            assert!(
                r.attempt_starts.starts_with(&starts),
                "{ctx}: n{i} attempts at {starts:?}, reference {:?}",
                r.attempt_starts
            );
            assert!(
                starts.iter().all(|&t| t <= stopped_at),
                "{ctx}: n{i} started after the stop at {stopped_at} ms"
            );
        }
        assert_eq!(Arc::strong_count(&script), 1, "{ctx}: input kept alive");
        assert_eq!(
            Arc::strong_count(Res::arc(&probe)),
            2,
            "{ctx}: a Res<Probe> kept alive"
        );
        assert_eq!(rt.active_runs(), 0, "{ctx}");

        let expect = expect_paused(shape, &refs, w);
        match (stop, outcome) {
            (Stop::CancelAt(t), Some((Err(WorkflowError::Cancelled { running, .. }), report))) => {
                // Cancelled before the run ended on its own.
                let end = match &expect {
                    Expect::Node(f) => refs[f[0]].end.unwrap(),
                    Expect::WorkflowTimeout => w,
                    Expect::Ok(_) => ms_makespan(&refs),
                };
                assert!(
                    t < end,
                    "{ctx}: cancelled at {t} ms, but the run ends at {end} ms"
                );
                let mut running = running.clone();
                running.sort_unstable();
                let mut want: Vec<String> = refs
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.start.is_some_and(|s| s < t) && r.end.is_none_or(|e| e > t))
                    .map(|(i, _)| format!("n{i}"))
                    .collect();
                want.sort_unstable();
                assert_eq!(running, want, "{ctx}: running when cancelled");
                for (i, r) in refs.iter().enumerate() {
                    let want = match (r.start, r.end) {
                        (Some(_), Some(e)) if e < t => NodeStatus::Succeeded,
                        (Some(s), _) if s < t => NodeStatus::Cancelled,
                        _ => NodeStatus::Skipped,
                    };
                    assert_eq!(report.nodes[i].status, want, "{ctx}: n{i}");
                }
            }
            (_, Some((result, _))) => {
                // The run ended before the stop: it must be the run's own outcome.
                check_expected(&result, &expect, &refs, &ctx);
            }
            (_, None) => {} // dropped
        }
    });
}

fn ms_makespan(refs: &[RefNode]) -> u64 {
    refs.iter().filter_map(|r| r.end).max().unwrap_or(0)
}

proptest! {
    #![proptest_config(proptest_config(
        512,
        concat!(env!("CARGO_MANIFEST_DIR"), "/proptest-regressions/reliability_cancel.txt"),
    ))]

    #[test]
    fn stopping_a_run_anywhere_leaks_nothing(
        (shape, behaviour) in behaviour_strategy(),
        stop in stop_strategy(),
    ) {
        check_stopped(shape, &behaviour, stop);
    }
}

/// Every poll point of one larger run, one after the other.
#[test]
fn dropping_at_every_poll_point_of_a_run() {
    let shape = 1; // the 30-node shape
    let behaviour: Vec<Behaviour> = (0..MAX_NODES)
        .map(|i| Behaviour {
            sleep_ms: (i as u64 * 3 % 7) * 10,
            fault: Fault::None,
        })
        .collect();
    for k in 0..200 {
        check_stopped(shape, &behaviour, Stop::Polls(k));
    }
}
