//! Property test over the routed corpus (`tests/build.rs`, `routed_corpus`): random
//! shapes with an `if` on a node's `bool` (a merge binding `m` used after it, a partial
//! binding used as `t0?` or `e0?`) and a fan-out `for` over a node's `Vec<u64>` with a
//! one- or two-node body. For a drawn seed, a sequential reference evaluator of the same
//! shape says which arm is taken, every value, the fan-out's results in order, how many
//! times each `#[node]` fn runs (per item too) and every node's status; the run must
//! match it exactly.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use futures::FutureExt as _;
use proptest::prelude::*;
use workflow_core::prelude::*;
use workflow_core::{NodeStatus, RunReport};

use crate::support::{paused_runtime, proptest_config};

/// Executions per `#[node]` fn, counted by the nodes themselves.
#[derive(Debug, Default)]
pub(crate) struct Counts(Mutex<BTreeMap<&'static str, usize>>);

impl Counts {
    fn hit(&self, node_fn: &'static str) {
        *self.0.lock().unwrap().entry(node_fn).or_default() += 1;
    }

    fn get(&self) -> BTreeMap<&'static str, usize> {
        self.0.lock().unwrap().clone()
    }
}

/// One arm of a routed shape, as data (see `ArmGen` in `tests/build.rs`).
#[derive(Debug)]
pub(crate) struct RoutedArm {
    from: usize,
    second: bool,
    merge_with: Option<usize>,
}

/// A routed shape, as data.
#[derive(Debug)]
pub(crate) struct RoutedShape {
    /// Inputs of the prefix nodes `n0..`: `n0 = r_src(seed)`, then `r_one`/`r_two`.
    pre: &'static [&'static [usize]],
    /// `c = r_pick(x: n{pick})`.
    pick: usize,
    then: RoutedArm,
    els: RoutedArm,
    /// `after` takes `t0?` (else `e0?`).
    partial_then: bool,
    /// `xs = r_list(x: n{f})`, or `x: m` when `None`.
    list_from: Option<usize>,
    /// The body is `y1 = r_item(it)`, then `y2 = r_two(y1, n{w})` when `Some(w)`.
    body_with: Option<usize>,
}

/// `(after, ys, fin)` and the report of a routed run.
pub(crate) type RoutedRun =
    Pin<Box<dyn Future<Output = (Result<(u64, Vec<u64>, u64), WorkflowError>, RunReport)> + Send>>;

// The values, shared by the nodes and the reference: the test is about wiring, routing
// and counting, not arithmetic.
fn mix(x: u64, salt: u64) -> u64 {
    let mut h = x ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    h = (h ^ (h >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h ^ (h >> 31)
}
fn v_two(x: u64, y: u64) -> u64 {
    mix(x ^ y.rotate_left(7), 3)
}
fn v_opt(x: u64, o: Option<u64>) -> u64 {
    mix(x ^ o.map_or(77, |v| v.wrapping_add(1)), 6)
}
fn v_list(x: u64) -> Vec<u64> {
    (0..x % 4).map(|i| mix(x, 10 + i)).collect()
}
fn v_sum(xs: &[u64], y: u64) -> u64 {
    xs.iter().fold(y, |a, &x| mix(a ^ x, 9))
}

#[node]
pub(crate) async fn r_src(k: Arc<Counts>, seed: u64) -> u64 {
    k.hit("r_src");
    mix(seed, 1)
}
#[node]
pub(crate) async fn r_one(k: Arc<Counts>, x: u64) -> u64 {
    k.hit("r_one");
    mix(x, 2)
}
#[node]
pub(crate) async fn r_two(k: Arc<Counts>, x: u64, y: u64) -> u64 {
    k.hit("r_two");
    v_two(x, y)
}
#[node]
pub(crate) async fn r_pick(k: Arc<Counts>, x: u64) -> bool {
    k.hit("r_pick");
    x % 2 == 0
}
#[node]
pub(crate) async fn r_then(k: Arc<Counts>, x: u64) -> u64 {
    k.hit("r_then");
    mix(x, 4)
}
#[node]
pub(crate) async fn r_else(k: Arc<Counts>, x: u64) -> u64 {
    k.hit("r_else");
    mix(x, 5)
}
#[node]
pub(crate) async fn r_opt(k: Arc<Counts>, x: u64, o: Option<u64>) -> u64 {
    k.hit("r_opt");
    v_opt(x, o)
}
#[node]
pub(crate) async fn r_list(k: Arc<Counts>, x: u64) -> Vec<u64> {
    k.hit("r_list");
    v_list(x)
}
#[node]
pub(crate) async fn r_item(k: Arc<Counts>, x: u64) -> u64 {
    k.hit("r_item");
    mix(x, 7)
}
#[node]
pub(crate) async fn r_sum(k: Arc<Counts>, xs: Vec<u64>, y: u64) -> u64 {
    k.hit("r_sum");
    v_sum(&xs, y)
}

include!(concat!(env!("OUT_DIR"), "/routed_corpus.rs"));

/// What the reference evaluator predicts for one seed.
#[derive(Debug)]
struct Expected {
    then_taken: bool,
    after: u64,
    ys: Vec<u64>,
    fin: u64,
    /// Executions per `#[node]` fn (fns that never run are absent).
    counts: BTreeMap<&'static str, usize>,
    /// `(node path, status)` for every node of the shape, items included.
    statuses: Vec<(String, NodeStatus)>,
}

/// Evaluates `shape` sequentially for `seed`.
fn reference(shape: &RoutedShape, seed: u64) -> Expected {
    let mut counts = BTreeMap::new();
    let mut hit = |f: &'static str| *counts.entry(f).or_insert(0) += 1;
    let mut statuses = Vec::new();
    let mut done = |name: &str, st| statuses.push((name.to_owned(), st));

    let mut n = Vec::new();
    for (i, preds) in shape.pre.iter().enumerate() {
        let v = match preds {
            [] => {
                hit("r_src");
                mix(seed, 1)
            }
            [a] => {
                hit("r_one");
                mix(n[*a], 2)
            }
            [a, b] => {
                hit("r_two");
                v_two(n[*a], n[*b])
            }
            _ => unreachable!(),
        };
        n.push(v);
        done(&format!("n{i}"), NodeStatus::Succeeded);
    }
    hit("r_pick");
    done("c", NodeStatus::Succeeded);
    // The decision itself is a node of the plan.
    done("if_c", NodeStatus::Succeeded);
    let then_taken = n[shape.pick] % 2 == 0;

    // The arm taken runs; every node of the other ends not taken.
    let mut m = 0;
    let mut partial = None;
    for (arm, p, first, salt, taken) in [
        (&shape.then, "t", "r_then", 4, then_taken),
        (&shape.els, "e", "r_else", 5, !then_taken),
    ] {
        let st = if taken {
            NodeStatus::Succeeded
        } else {
            NodeStatus::NotTaken
        };
        done(&format!("{p}0"), st);
        if arm.second {
            done(&format!("{p}1"), st);
        }
        done("m", st);
        if !taken {
            continue;
        }
        hit(first);
        let v0 = mix(n[arm.from], salt);
        if (p == "t") == shape.partial_then {
            partial = Some(v0);
        }
        let mut last = v0;
        if arm.second {
            hit("r_one");
            last = mix(last, 2);
        }
        m = match arm.merge_with {
            Some(w) => {
                hit("r_two");
                v_two(last, n[w])
            }
            None => {
                hit("r_one");
                mix(last, 2)
            }
        };
    }
    hit("r_opt");
    done("after", NodeStatus::Succeeded);
    let after = v_opt(m, partial);

    hit("r_list");
    done("xs", NodeStatus::Succeeded);
    let xs = v_list(shape.list_from.map_or(m, |f| n[f]));
    let mut ys = Vec::new();
    for (i, &x) in xs.iter().enumerate() {
        hit("r_item");
        done(&format!("ys[{i}].y1"), NodeStatus::Succeeded);
        let mut y = mix(x, 7);
        if let Some(w) = shape.body_with {
            hit("r_two");
            done(&format!("ys[{i}].y2"), NodeStatus::Succeeded);
            y = v_two(y, n[w]);
        }
        ys.push(y);
    }
    done("ys", NodeStatus::Succeeded);
    hit("r_sum");
    done("fin", NodeStatus::Succeeded);
    let fin = v_sum(&ys, after);
    Expected {
        then_taken,
        after,
        ys,
        fin,
        counts,
        statuses,
    }
}

/// Runs routed shape `index` for `seed` and checks it against the reference; returns
/// the reference's prediction.
fn check(index: usize, seed: u64) -> Expected {
    let shape = &ROUTED[index];
    let want = reference(shape, seed);
    let ctx = format!("Routed{index}, seed {seed}: {shape:?}, reference {want:?}");
    let k = Arc::new(Counts::default());
    let (result, report) = paused_runtime().block_on(async {
        let rt = Runtime::new();
        run_routed(index, &rt, seed, Arc::clone(&k)).await
    });
    let (after, ys, fin) = result.unwrap_or_else(|e| panic!("{ctx}: run failed: {e}"));
    assert_eq!(after, want.after, "{ctx}: after");
    assert_eq!(ys, want.ys, "{ctx}: fan-out results, in order");
    assert_eq!(fin, want.fin, "{ctx}: fin");
    assert_eq!(k.get(), want.counts, "{ctx}: executions per node fn");

    // The report: one node per binding (two for the merge `m`, one per arm), the
    // decision `if_c`, the fan-out `ys` and its items; every status as the reference says.
    let mut got: Vec<(String, NodeStatus)> = report
        .nodes
        .iter()
        .map(|r| (r.name.to_string(), r.status))
        .collect();
    let mut expected = want.statuses.clone();
    let by_name = |a: &(String, NodeStatus), b: &(String, NodeStatus)| {
        (&a.0, a.1.as_str()).cmp(&(&b.0, b.1.as_str()))
    };
    got.sort_by(by_name);
    expected.sort_by(by_name);
    assert_eq!(got, expected, "{ctx}: statuses\n{report}");
    // Executions per node fn, as the report counts them.
    let mut reported: BTreeMap<&'static str, usize> = BTreeMap::new();
    for r in &report.nodes {
        if r.status == NodeStatus::Succeeded && r.node_fn.starts_with("r_") {
            *reported.entry(r.node_fn).or_default() += r.attempts as usize;
        }
    }
    assert_eq!(reported, want.counts, "{ctx}: executions in the report");
    want
}

proptest! {
    #![proptest_config(proptest_config(
        256,
        concat!(env!("CARGO_MANIFEST_DIR"), "/proptest-regressions/prop_routes.txt"),
    ))]

    #[test]
    fn routed_shapes_match_the_reference(index in 0..ROUTED.len(), seed in any::<u64>()) {
        check(index, seed);
    }
}

/// Every routed shape, over the first seeds, takes both arms and fans out over both an
/// empty and a non-empty list, so the property test above covers all of them.
#[test]
fn every_routed_shape_takes_both_arms_and_fans_out() {
    for index in 0..ROUTED.len() {
        let (mut then, mut els, mut empty, mut items) = (false, false, false, false);
        for seed in 0..64 {
            let e = check(index, seed);
            then |= e.then_taken;
            els |= !e.then_taken;
            empty |= e.ys.is_empty();
            items |= e.ys.len() >= 2;
        }
        assert!(
            then && els && empty && items,
            "Routed{index}: then {then}, else {els}, empty {empty}, items {items}"
        );
    }
}
