//! What a resumed run restores: each node's recorded output, skipped or run again, the
//! arms not taken, the rows of fan-out items and sub-workflows kept for them.

use std::collections::HashMap;

use super::*;
use crate::error::WorkflowError;
use crate::executor::Resume;
use crate::store::{GraphFingerprint, NodePath, NodeSignature, RecordedOutput, RunState};

/// What a resumed run restores: what each node does, by index (empty: every node
/// runs), and the rows of fan-out items that may be restored, by path. When the graph
/// changed since the run recorded, `rebase` is the current fingerprint and the rows
/// neither restored nor kept for items ([`Store::rebase_run`], before the run drives).
pub(super) struct Restore<V> {
    pub(super) nodes: Vec<Resume<V>>,
    pub(super) items: HashMap<String, RecordedOutput>,
    pub(super) rebase: Option<(GraphFingerprint, Vec<NodePath>)>,
}

impl<V> Default for Restore<V> {
    fn default() -> Self {
        Self {
            nodes: Vec::new(),
            items: HashMap::new(),
            rebase: None,
        }
    }
}

/// The nodes a resumed run will leave not taken, by index: those in the other arms of
/// every decision whose router recorded the arm it took and is restored (the resumed
/// router is held to it). Decisions not recorded yet, or whose router runs again, are
/// decided again, so their arms count as unrecorded.
///
/// `redecided[d]`: decision `d` is decided again although its arm was recorded (its
/// router runs again, so it may take another arm).
pub(super) fn not_taken<W: DurableWorkflow>(
    state: &RunState,
    redecided: &[bool],
) -> Result<Vec<bool>, WorkflowError> {
    let run = state.run.id;
    let mut not_taken = vec![false; W::PLAN.nodes.len()];
    for (d, decision) in W::PLAN.decisions.iter().enumerate() {
        if redecided[d] {
            continue;
        }
        let router = decision.router;
        let Some(row) = state
            .outputs
            .iter()
            .find(|r| r.path.as_str() == W::PLAN.nodes[router].name)
        else {
            continue;
        };
        let value =
            W::decode_value(router, &row.value, run).map_err(|e| store_error::<W>(run, e))?;
        let Some(arm) = W::chosen_arm(&value) else {
            continue;
        };
        for (j, nodes) in decision.arms.iter().enumerate() {
            if j != arm {
                nodes.iter().for_each(|&n| not_taken[n] = true);
            }
        }
    }
    Ok(not_taken)
}

/// What the resumed run does with each node: restore its recorded output, run it, or
/// (an `#[ephemeral]` node nothing that runs needs) skip it.
///
/// - A recorded node is restored unless its row is stale (another output type or
///   `#[node(version = N)]`), its fingerprint entry changed, or a node upstream of it is
///   *dirty*: one that runs because it changed, or has no row, or is itself downstream of
///   a dirty node. So no restored output was computed from a value the current code
///   would compute differently.
/// - A node in an arm the run will not take (its decision's arm is recorded) is never
///   dirty: it has no row because it never ran, and its merge successors wait for the
///   taken arm only.
/// - An `#[ephemeral]` node has no row. Recomputing it does not make its consumers dirty
///   (the handle it opens again is as good as the first); it is dirty only when it
///   changed or something upstream of it is dirty. It runs when a node that runs needs
///   it, and is skipped otherwise.
///
/// Rows of fan-out items (`ys[3].y1`) and of a sub-workflow's nodes (`report.layout`)
/// are kept for the items to restore (see the executor's `item_records.rs`) when their
/// fan-out or sub-workflow runs again from the same inputs: it did not change and
/// nothing upstream of it runs again (ephemeral nodes recomputed aside). Otherwise its
/// items (its nodes) run again too, and a rebase drops their rows.
pub(super) fn restorable<W: DurableWorkflow>(
    state: RunState,
) -> Result<Restore<W::Value>, WorkflowError> {
    let run = state.run.id;
    let nodes = W::PLAN.nodes;
    let current = fingerprint::<W>();
    let changed = changed_nodes(&state.run.fingerprint.0, &current);
    // The run's input was recorded for other inputs: no node can be trusted to match.
    refuse_changed_inputs::<W>(&state.run.fingerprint.0, run)?;
    let ephemeral = |i: usize| W::EPHEMERAL.get(i).copied().unwrap_or(false);
    let version = |i: usize| W::NODE_VERSIONS.get(i).copied().unwrap_or(1);
    // A decision whose router runs again (it changed, or something upstream of it did)
    // may take another arm than the recorded one: its arms are then not left behind, and
    // their nodes run if the router takes them. (Holding such a router to the recorded
    // arm left the new arm's nodes "not taken" while the router took it: the run then
    // read a value nobody wrote.) A fixpoint: a decision decided again only makes more
    // nodes dirty, a nested decision's router among them.
    let mut redecided = vec![false; W::PLAN.decisions.len()];
    // Each row's fate is logged once, in the first pass (a later pass only adds dirt).
    let mut first_pass = true;
    let (not_taken, rows, dirty, upstream_dirty) = loop {
        let not_taken = not_taken::<W>(&state, &redecided)?;
        // A row's node: the one of that name in no arm the run left behind (a merge's
        // binding is defined in every arm, and its row belongs to the arm taken).
        let node_of =
            |name: &str| (0..nodes.len()).find(|&i| nodes[i].name == name && !not_taken[i]);
        let stale = state.stale_outputs(|template| {
            node_of(template).map(|i| NodeSignature {
                version: version(i),
                output_type: W::output_type(i),
            })
        });
        // `dirty[i]`: node i's value may differ from what its consumers' rows were computed
        // from. `rows[i]`: the row to restore.
        let mut dirty = vec![false; nodes.len()];
        let mut upstream_dirty = vec![false; nodes.len()];
        let mut rows: Vec<Option<&[u8]>> = vec![None; nodes.len()];
        for row in &state.outputs {
            let Some(i) = node_of(row.path.as_str()) else {
                continue;
            };
            if ephemeral(i) {
                continue;
            }
            if let Some((_, why)) = stale.iter().find(|(p, _)| p == &row.path) {
                if first_pass {
                    tracing::info!(target: "workflow", run = run.0, node = nodes[i].name, reason = ?why, "recorded output not restored: the node runs again");
                }
                continue;
            }
            rows[i] = Some(&row.value);
        }
        for (i, node) in nodes.iter().enumerate() {
            if not_taken[i] {
                // It never ran and will not: no work was lost, nothing downstream is stale.
                continue;
            }
            if changed.contains(&node.name) {
                if first_pass && rows[i].is_some() {
                    tracing::info!(target: "workflow", run = run.0, node = node.name, "recorded output not restored: the graph changed at this node");
                }
                dirty[i] = true;
            } else if !ephemeral(i) && rows[i].is_none() {
                dirty[i] = true;
            }
        }
        // Dirtiness flows downstream; repeat until nothing changes (the plan has no
        // predecessor lists, and this runs once per resume).
        loop {
            let mut again = false;
            for i in 0..nodes.len() {
                if dirty[i] {
                    for &s in nodes[i].successors.iter().filter(|&&s| !not_taken[s]) {
                        upstream_dirty[s] = true;
                        again |= !std::mem::replace(&mut dirty[s], true);
                    }
                }
            }
            if !again {
                break;
            }
        }
        let mut again = false;
        for (d, decision) in W::PLAN.decisions.iter().enumerate() {
            if !redecided[d] && dirty[decision.router] {
                redecided[d] = true;
                again = true;
            }
        }
        if !again {
            break (not_taken, rows, dirty, upstream_dirty);
        }
        first_pass = false;
    };
    // A dirty recorded node runs; an ephemeral node runs when a node that runs needs it
    // (needs flow upstream, through ephemeral nodes only: others are restored or run).
    let mut runs: Vec<bool> = (0..nodes.len())
        .map(|i| !ephemeral(i) && dirty[i])
        .collect();
    loop {
        let mut again = false;
        for i in 0..nodes.len() {
            if ephemeral(i) && !runs[i] && nodes[i].successors.iter().any(|&s| runs[s]) {
                runs[i] = true;
                again = true;
            }
        }
        if !again {
            break;
        }
    }
    let resume = (0..nodes.len())
        .map(|i| {
            Ok(match (runs[i], rows[i]) {
                (true, _) => Resume::Run,
                (false, Some(bytes)) => Resume::Restore(
                    W::decode_value(i, bytes, run).map_err(|e| store_error::<W>(run, e))?,
                ),
                // Not needed: an ephemeral node all of whose consumers were restored.
                (false, None) => Resume::Skip,
            })
        })
        .collect::<Result<Vec<_>, WorkflowError>>()?;
    // The fan-outs (and sub-workflows) whose items' rows hold: they run, from the inputs
    // they ran with.
    let fresh = |name: &str| {
        (0..nodes.len()).any(|i| {
            nodes[i].name == name
                && runs[i]
                && !not_taken[i]
                && !upstream_dirty[i]
                && !changed.contains(&name)
        })
    };
    // A row of an item (`ys[3].y`) or of a sub-workflow's node (`report.layout`) is
    // under its top-level node's name.
    let (items, forget): (Vec<RecordedOutput>, Vec<RecordedOutput>) =
        state.outputs.into_iter().partition(|row| {
            let path = row.path.as_str();
            path.split_once(['[', '.'])
                .is_some_and(|(top, _)| fresh(top))
        });
    // The graph changed: from now on the run records under the current one, and the rows
    // of the nodes that run again (recorded by the earlier code) go, so that a resume
    // after a crash of this one neither runs again a changed node this one recorded nor
    // restores an earlier code's row (`Store::rebase_run`).
    let rebase = (!changed.is_empty()).then(|| {
        // A restored node's rows stay, its items' (`ys[3].y1`) too.
        let restored = |path: &str| {
            let top = path.split(['[', '.']).next().unwrap_or(path);
            (0..nodes.len())
                .any(|i| nodes[i].name == top && matches!(resume[i], Resume::Restore(_)))
        };
        let forget = forget
            .into_iter()
            .map(|row| row.path)
            .filter(|path| !restored(path.as_str()))
            .collect();
        (GraphFingerprint(current.clone()), forget)
    });
    Ok(Restore {
        nodes: resume,
        items: items
            .into_iter()
            .map(|row| (row.path.as_str().to_owned(), row))
            .collect(),
        rebase,
    })
}
