//! Property tests: random graphs with random faults, run under tokio's paused clock and
//! compared against a sequential reference evaluator of the same graph.
//!
//! A case is a shape of the generated corpus (`tests/build.rs`: 32 workflows of 2 to 30
//! nodes with random edges, timeouts, retries, `#[spawn]` and `#[output]`), a behaviour
//! script (per node: sleep, and whether it fails for its first k attempts or always,
//! panics or hangs), a failure policy, and a workflow timeout. Under the paused clock
//! every time is exact, so the reference predicts when each node starts and ends and the
//! run must match it: same outputs, same start times and attempts; on failure the
//! reported node is one that failed first (several may fail at the same instant),
//! nothing downstream of it ran, every other node is succeeded, cancelled or skipped as
//! its times say, every started attempt finished or was dropped, every `Arc` the run held
//! (script input, `Res<Probe>`) was released, and no node starts after the run returned.

use crate::support;

use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;
use support::*;
use workflow_core::policy::FailurePolicy;
use workflow_core::prelude::*;
use workflow_core::{NodeStatus, Res, RunReport, TimeoutScope};

/// A drawn behaviour: per node `(sleep in 10 ms steps, fault roll, k)`.
fn behaviours(raw: &[(u64, u8, u32)], fault_pct: u8) -> Vec<Behaviour> {
    raw.iter()
        .map(|&(sleep, roll, k)| {
            let fault = if roll < fault_pct {
                match roll % 5 {
                    0 | 1 => Fault::Fail { first: k },
                    2 => Fault::Panic,
                    3 => Fault::Hang,
                    _ => Fault::Fail { first: u32::MAX },
                }
            } else {
                Fault::None
            };
            Behaviour {
                sleep_ms: sleep * 10,
                fault,
            }
        })
        .collect()
}

fn case_strategy() -> impl Strategy<Value = (usize, Vec<Behaviour>, u64)> {
    (
        0..SHAPE_COUNT,
        proptest::collection::vec((0u64..=10, 0u8..100, 1u32..=4), MAX_NODES),
        prop_oneof![Just(0u8), Just(3), Just(8), Just(20), Just(45)],
        // The workflow timeout: never ties with a node's times (all multiples of 5 ms).
        prop_oneof![Just(100_003u64), (0u64..80).prop_map(|k| k * 5 + 3)],
    )
        .prop_map(|(shape, raw, pct, w)| (shape, behaviours(&raw, pct), w))
}

/// What a finished case left behind.
struct Done {
    result: Result<Vec<(usize, u64)>, WorkflowError>,
    report: RunReport,
    entries: Vec<Entry>,
    script_refs: usize,
    probe_refs: usize,
}

/// Runs one case on a fresh paused-clock runtime and checks what must hold whatever the
/// policy: the journal is sane, nothing starts after the run returned, and every `Arc`
/// the run held is released.
fn execute(shape: usize, behaviour: &[Behaviour], opts: RunOptions, ctx: &str) -> Done {
    quiet_injected_panics();
    paused_runtime().block_on(async {
        let rt = Runtime::builder().resource(Probe).build();
        let probe = rt.resource::<Probe>().unwrap();
        let probe_before = Arc::strong_count(Res::arc(&probe));
        let script = Script::new(behaviour.to_vec());
        let (result, report) = run(shape, &rt, &script, opts).await;
        let entries = script.entries();
        // Aborted spawned nodes are dropped by tokio on the next tick; then time passes:
        // no node may start or finish after the run returned.
        tokio::time::sleep(Duration::from_secs(3600)).await;
        let later = script.entries();
        assert!(
            later[entries.len()..]
                .iter()
                .all(|e| e.what == What::Dropped),
            "{ctx}: activity after the run returned: {:?}",
            &later[entries.len()..]
        );
        assert_eq!(
            script.live.load(std::sync::atomic::Ordering::SeqCst),
            0,
            "{ctx}: attempts still live"
        );
        assert_eq!(rt.active_runs(), 0, "{ctx}");
        let done = Done {
            result,
            report,
            entries: later,
            script_refs: Arc::strong_count(&script),
            probe_refs: Arc::strong_count(Res::arc(&probe)) + 1 - probe_before,
        };
        let shut = rt.shutdown().await;
        assert_eq!(shut.runs_still_active, 0, "{ctx}");
        done
    })
}

fn check_released(d: &Done, ctx: &str) {
    assert_eq!(d.script_refs, 1, "{ctx}: the run kept its input alive");
    assert_eq!(d.probe_refs, 1, "{ctx}: the run kept a Res<Probe> alive");
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap()
}

/// Fail-fast, unlimited concurrency: the run must match the reference exactly, up to
/// nodes whose times tie with the first failure.
fn check_fail_fast(shape_ix: usize, behaviour: &[Behaviour], w: u64) {
    let shape = &SHAPES[shape_ix];
    let ctx = format!("fail-fast, timeout {w} ms, {}", describe(shape, behaviour));
    let refs = reference(shape, behaviour);
    let d = execute(
        shape_ix,
        behaviour,
        RunOptions::new().timeout(Duration::from_millis(w)),
        &ctx,
    );
    check_released(&d, &ctx);
    let logs = check_journal(shape, &d.entries, None, &ctx);
    check_report_vs_journal(&d.report, &logs, &ctx);

    let first_fail = refs
        .iter()
        .filter(|r| r.outcome.failed())
        .filter_map(|r| r.end)
        .min();
    let makespan = refs.iter().try_fold(0u64, |m, r| match r.outcome {
        RefOutcome::Hang => None,
        _ => Some(r.end.map_or(m, |e| m.max(e))),
    });
    let status = |i: usize| d.report.nodes[i].status;

    match first_fail {
        Some(fail) if fail < w => {
            // The run stops at the first failure.
            let e = d
                .result
                .as_ref()
                .err()
                .unwrap_or_else(|| panic!("{ctx}: run succeeded"));
            let name = e.node().unwrap_or_else(|| panic!("{ctx}: no node in {e}"));
            let f: usize = name[1..].parse().unwrap();
            assert_eq!(
                refs[f].end,
                Some(fail),
                "{ctx}: n{f} did not fail first: {e}"
            );
            check_node_error(e, f, &refs[f], &ctx);
            assert_eq!(ms(d.report.duration), fail, "{ctx}: run duration");
            for (i, r) in refs.iter().enumerate() {
                let st = status(i);
                let starts = logs[i].starts();
                assert!(
                    r.attempt_starts.starts_with(&starts),
                    "{ctx}: n{i} attempts at {starts:?}, reference {:?}",
                    r.attempt_starts
                );
                if i != f {
                    assert_ne!(st, NodeStatus::Failed, "{ctx}: n{i} failed too");
                }
                if shape.reaches(f, i) && i != f {
                    assert_eq!(st, NodeStatus::Skipped, "{ctx}: n{i} is downstream of n{f}");
                }
                let (Some(s), end) = (r.start, r.end) else {
                    assert_eq!(st, NodeStatus::Skipped, "{ctx}: n{i} never starts");
                    continue;
                };
                let end = end.unwrap_or(u64::MAX);
                if s == fail || end == fail {
                    continue; // ties with the failure: any order is right
                }
                if s > fail {
                    assert_eq!(
                        st,
                        NodeStatus::Skipped,
                        "{ctx}: n{i} starts after the failure"
                    );
                } else if end < fail {
                    assert_eq!(st, NodeStatus::Succeeded, "{ctx}: n{i}");
                    assert_eq!(starts, r.attempt_starts, "{ctx}: n{i}");
                    assert_eq!(d.report.nodes[i].started_at, Some(Duration::from_millis(s)));
                } else {
                    assert_eq!(st, NodeStatus::Cancelled, "{ctx}: n{i} was running");
                    // Attempts before the failure ran; one starting at that instant may.
                    let before = r.attempt_starts.iter().filter(|&&t| t < fail).count();
                    let at = r.attempt_starts.iter().filter(|&&t| t <= fail).count();
                    assert!(
                        (before..=at).contains(&starts.len()),
                        "{ctx}: n{i} attempts at {starts:?}, reference {:?}",
                        r.attempt_starts
                    );
                }
            }
        }
        _ if makespan.is_none_or(|m| m > w) => {
            // The workflow timeout fires first.
            match &d.result {
                Err(WorkflowError::Timeout {
                    scope: TimeoutScope::Workflow,
                    limit,
                    running,
                    ..
                }) => {
                    assert_eq!(ms(*limit), w, "{ctx}");
                    let mut running: Vec<&str> = running.iter().map(|r| &**r).collect();
                    running.sort_unstable();
                    let want: Vec<String> = running_at(&refs, w);
                    let mut want: Vec<&str> = want.iter().map(String::as_str).collect();
                    want.sort_unstable();
                    assert_eq!(running, want, "{ctx}: nodes running at the timeout");
                }
                other => panic!("{ctx}: expected the workflow timeout, got {other:?}"),
            }
            assert_eq!(ms(d.report.duration), w, "{ctx}: run duration");
            for (i, r) in refs.iter().enumerate() {
                let want = match (r.start, r.end) {
                    (Some(_), Some(e)) if e < w => NodeStatus::Succeeded,
                    (Some(s), _) if s < w => NodeStatus::Cancelled,
                    _ => NodeStatus::Skipped,
                };
                assert_eq!(status(i), want, "{ctx}: n{i}");
                let want: Vec<u64> = r
                    .attempt_starts
                    .iter()
                    .copied()
                    .filter(|&t| t < w)
                    .collect();
                assert_eq!(logs[i].starts(), want, "{ctx}: n{i}");
            }
        }
        _ => check_success(shape, &refs, &d, &logs, makespan.unwrap(), &ctx),
    }
}

fn running_at(refs: &[RefNode], w: u64) -> Vec<String> {
    refs.iter()
        .enumerate()
        .filter(|(_, r)| r.start.is_some_and(|s| s < w) && r.end.is_none_or(|e| e > w))
        .map(|(i, _)| format!("n{i}"))
        .collect()
}

fn check_success(
    shape: &ShapeSpec,
    refs: &[RefNode],
    d: &Done,
    logs: &[NodeLog],
    makespan: u64,
    ctx: &str,
) {
    let outs = d
        .result
        .as_ref()
        .unwrap_or_else(|e| panic!("{ctx}: expected success, got {e}"));
    let want: Vec<(usize, u64)> = shape
        .outputs()
        .into_iter()
        .map(|i| match refs[i].outcome {
            RefOutcome::Ok(v) => (i, v),
            o => panic!("{ctx}: reference n{i} ended {o:?}"),
        })
        .collect();
    assert_eq!(outs, &want, "{ctx}: outputs");
    assert_eq!(ms(d.report.duration), makespan, "{ctx}: run duration");
    for (i, r) in refs.iter().enumerate() {
        let n = &d.report.nodes[i];
        assert_eq!(n.status, NodeStatus::Succeeded, "{ctx}: n{i}");
        assert_eq!(n.attempts as usize, r.attempt_starts.len(), "{ctx}: n{i}");
        assert_eq!(n.started_at.map(ms), r.start, "{ctx}: n{i}");
        assert_eq!(logs[i].starts(), r.attempt_starts, "{ctx}: n{i}");
    }
}

/// Continue on failure, unlimited concurrency: deterministic whatever the ties, since
/// every branch that can run does.
fn check_continue(shape_ix: usize, behaviour: &[Behaviour], w: u64) {
    let shape = &SHAPES[shape_ix];
    let ctx = format!("continue, timeout {w} ms, {}", describe(shape, behaviour));
    let refs = reference(shape, behaviour);
    let d = execute(
        shape_ix,
        behaviour,
        RunOptions::new()
            .timeout(Duration::from_millis(w))
            .failure(FailurePolicy::Continue),
        &ctx,
    );
    check_released(&d, &ctx);
    let logs = check_journal(shape, &d.entries, None, &ctx);
    check_report_vs_journal(&d.report, &logs, &ctx);

    let makespan = refs.iter().try_fold(0u64, |m, r| match r.outcome {
        RefOutcome::Hang => None,
        _ => Some(r.end.map_or(m, |e| m.max(e))),
    });
    let timed_out = makespan.is_none_or(|m| m > w);
    let cutoff = if timed_out { w } else { makespan.unwrap() };
    assert_eq!(ms(d.report.duration), cutoff, "{ctx}: run duration");

    let mut failed: Vec<usize> = (0..refs.len())
        .filter(|&i| refs[i].outcome.failed() && refs[i].end.is_some_and(|e| e < w))
        .collect();
    failed.sort_by_key(|&i| refs[i].end);
    for (i, r) in refs.iter().enumerate() {
        let want = match (r.start, r.end) {
            (Some(_), Some(e)) if e < w => {
                if r.outcome.failed() {
                    NodeStatus::Failed
                } else {
                    NodeStatus::Succeeded
                }
            }
            (Some(s), _) if s < w => NodeStatus::Cancelled,
            _ => NodeStatus::Skipped,
        };
        assert_eq!(d.report.nodes[i].status, want, "{ctx}: n{i}");
        let want: Vec<u64> = r
            .attempt_starts
            .iter()
            .copied()
            .filter(|&t| t < w)
            .collect();
        assert_eq!(logs[i].starts(), want, "{ctx}: n{i}");
    }

    // The errors, in the order they happened (ties in any order).
    let errors: Vec<&WorkflowError> = match &d.result {
        Ok(outs) => {
            assert!(failed.is_empty() && !timed_out, "{ctx}: run succeeded");
            check_success(shape, &refs, &d, &logs, cutoff, &ctx);
            let _ = outs;
            return;
        }
        Err(WorkflowError::Multiple { errors, .. }) => errors.iter().collect(),
        Err(e) => vec![e],
    };
    let expected = failed.len() + usize::from(timed_out);
    assert_eq!(errors.len(), expected, "{ctx}: errors {errors:?}");
    assert!(expected >= 1);
    let (node_errors, last) = if timed_out {
        let (last, rest) = errors.split_last().unwrap();
        match last {
            WorkflowError::Timeout {
                scope: TimeoutScope::Workflow,
                running,
                ..
            } => {
                let mut running = running.clone();
                running.sort_unstable();
                let want = running_at(&refs, w);
                let mut want: Vec<&str> = want.iter().map(String::as_str).collect();
                want.sort_unstable();
                assert_eq!(running, want, "{ctx}");
            }
            e => panic!("{ctx}: the last error should be the workflow timeout: {e}"),
        }
        (rest.to_vec(), Some(last))
    } else {
        (errors.clone(), None)
    };
    let _ = last;
    let mut prev_end = 0;
    let mut seen: Vec<usize> = Vec::new();
    for e in node_errors {
        let name = e.node().unwrap_or_else(|| panic!("{ctx}: {e}"));
        let i: usize = name[1..].parse().unwrap();
        check_node_error(e, i, &refs[i], &ctx);
        let end = refs[i].end.unwrap();
        assert!(end >= prev_end, "{ctx}: errors out of order");
        prev_end = end;
        seen.push(i);
    }
    seen.sort_unstable();
    let mut want = failed.clone();
    want.sort_unstable();
    assert_eq!(seen, want, "{ctx}: failed nodes");
}

/// A concurrency limit changes the timing, so only what does not depend on it is
/// checked: values, which node may fail and how, nothing downstream of a failure, and
/// never more than `limit` attempts at once.
fn check_limited(shape_ix: usize, behaviour: &[Behaviour], limit: usize, policy: FailurePolicy) {
    let shape = &SHAPES[shape_ix];
    let ctx = format!(
        "concurrency {limit}, {policy:?}, {}",
        describe(shape, behaviour)
    );
    let refs = reference(shape, behaviour);
    let w = 1_000_003;
    let d = execute(
        shape_ix,
        behaviour,
        RunOptions::new()
            .timeout(Duration::from_millis(w))
            .concurrency(limit)
            .failure(policy),
        &ctx,
    );
    check_released(&d, &ctx);
    let logs = check_journal(shape, &d.entries, Some(limit), &ctx);
    check_report_vs_journal(&d.report, &logs, &ctx);
    for (i, n) in d.report.nodes.iter().enumerate() {
        match n.status {
            NodeStatus::Succeeded => {
                assert!(matches!(refs[i].outcome, RefOutcome::Ok(_)), "{ctx}: n{i}");
                assert_eq!(
                    logs[i].ended_ok().map(|x| x.1),
                    match refs[i].outcome {
                        RefOutcome::Ok(v) => Some(v),
                        _ => None,
                    }
                );
            }
            NodeStatus::Failed => {
                assert!(refs[i].outcome.failed(), "{ctx}: n{i} failed");
                for (j, _) in refs.iter().enumerate().filter(|&(j, _)| j != i) {
                    if shape.reaches(i, j) {
                        assert!(
                            logs[j].attempts.is_empty(),
                            "{ctx}: n{j} ran after n{i} failed"
                        );
                    }
                }
            }
            _ => {}
        }
    }
    match &d.result {
        Ok(_) => {
            let all_ok = refs.iter().all(|r| matches!(r.outcome, RefOutcome::Ok(_)));
            assert!(all_ok, "{ctx}: the run succeeded");
            let outs = d.result.as_ref().unwrap();
            for &(i, v) in outs {
                assert_eq!(refs[i].outcome, RefOutcome::Ok(v), "{ctx}: output n{i}");
            }
            assert_eq!(outs.len(), shape.outputs().len());
        }
        Err(WorkflowError::Multiple { errors, .. }) => {
            assert_eq!(policy, FailurePolicy::Continue);
            for e in errors {
                if let Some(n) = e.node() {
                    let i: usize = n[1..].parse().unwrap();
                    check_node_error(e, i, &refs[i], &ctx);
                }
            }
        }
        Err(e) => match e.node() {
            Some(n) => {
                let i: usize = n[1..].parse().unwrap();
                check_node_error(e, i, &refs[i], &ctx);
            }
            None => assert!(e.is_timeout(), "{ctx}: {e}"),
        },
    }
}

proptest! {
    #![proptest_config(proptest_config(
        512,
        concat!(env!("CARGO_MANIFEST_DIR"), "/proptest-regressions/prop_dag.txt"),
    ))]

    #[test]
    fn fail_fast_matches_the_reference((shape, behaviour, w) in case_strategy()) {
        check_fail_fast(shape, &behaviour, w);
    }

    #[test]
    fn continue_matches_the_reference((shape, behaviour, w) in case_strategy()) {
        check_continue(shape, &behaviour, w);
    }

    #[test]
    fn concurrency_limits_keep_results(
        (shape, behaviour, _w) in case_strategy(),
        limit in 1usize..=3,
        continue_on_failure in any::<bool>(),
    ) {
        let policy = if continue_on_failure { FailurePolicy::Continue } else { FailurePolicy::FailFast };
        check_limited(shape, &behaviour, limit, policy);
    }
}

/// Every shape of the corpus runs to the reference's outputs without faults.
#[test]
fn every_shape_runs_clean() {
    for shape in 0..SHAPE_COUNT {
        let behaviour: Vec<Behaviour> = (0..MAX_NODES)
            .map(|i| Behaviour {
                sleep_ms: (i as u64 * 7 % 5) * 10,
                fault: Fault::None,
            })
            .collect();
        check_fail_fast(shape, &behaviour, 100_003);
    }
}
