//! Per-item checkpoints of a durable run's fan-outs and sub-workflows: a lane
//! (`items.rs`) records each item's nodes under their paths in the root run
//! (`thumbs[3].img`; a sub-workflow is a lane's one item, `report.layout`), and a
//! resumed item restores what was recorded for it and runs the rest. The fan-out's own
//! value is assembled from its items in input order, as in any run, and recorded as one
//! row when it ends (so a resume after that restores it whole and no item runs); a
//! sub-workflow's value likewise.
//!
//! What is recorded for an item: each node's output when it succeeds, but an
//! `#[ephemeral]` node's. A failed node records nothing, so an item that failed in a
//! `failure = "collect"` fan-out (its error kept in the fan-out's value) runs again on
//! resume, from its recorded nodes, unless the fan-out had ended and its value (the
//! error included) was recorded: an error is not a checkpoint, and a transient failure
//! gets another chance.

use super::durable::Resume;
use super::workflow::{ItemCodec, Workflow};
use crate::error::WorkflowError;
use crate::shared::{DurableLink, RunShared};
use crate::store::{NodePath, Record, RecordedOutput, RunId, StoreError};

/// The error of a fan-out item's node `index` whose record failed or whose
/// row does not decode: the root run's workflow, the run, and the node's path in the
/// root run (`thumbs[3].img`).
fn item_error(shared: &RunShared, run: RunId, index: usize, source: StoreError) -> WorkflowError {
    let node = shared.node_name(index);
    // Named once: by this error, which the store's inside it leaves out.
    WorkflowError::Store {
        workflow: shared.root_workflow,
        run: run.0,
        node: Some(node),
        source: source.into(),
        run_error: None,
    }
}

/// `e`, an error encoding a node's value, naming the node by its `path` in the root run
/// (`ps[2].p`): the generated codec knows only the binding (`p`), which the error around
/// it names by path already.
fn encoding_at(e: StoreError, path: &NodePath) -> StoreError {
    match e {
        StoreError::Encode {
            run,
            type_name,
            source,
            ..
        } => StoreError::Encode {
            run,
            what: path.to_string(),
            type_name,
            source,
        },
        other => other,
    }
}

/// Records node `index` of a fan-out item (its value `value`) under its path in the
/// root run (`thumbs[3].img`, from `shared`, the lane's state): what a lane does for a
/// durable run's fan-out. Nothing for an `#[ephemeral]` node.
pub(super) fn record_item<W: Workflow>(
    codec: &ItemCodec<W>,
    link: &DurableLink,
    shared: &RunShared,
    index: usize,
    value: &W::Value,
) -> Result<(), WorkflowError> {
    if codec.ephemeral.get(index).copied().unwrap_or(false) {
        return Ok(());
    }
    let run = link.run;
    let name = shared.node_name(index);
    let path: NodePath = name
        .parse()
        .map_err(|e| item_error(shared, run, index, e))?;
    let bytes = (codec.encode)(value, run)
        .map_err(|e| item_error(shared, run, index, encoding_at(e, &path)))?;
    // A closed queue: the recorder stopped on a store error and reports it itself.
    let _ = link.send(Record::Output(RecordedOutput {
        path,
        node_version: codec.versions.get(index).copied().unwrap_or(1),
        output_type: (codec.output_type)(index).to_owned(),
        value: bytes,
    }));
    Ok(())
}

/// What the item a lane starts (its nodes named by `shared`, the item already set) does
/// with each node of `W`, from the item rows a resumed run loaded: the rules of the
/// root run's (`crate::durable::restorable`) within the item. A row is restored unless
/// it is stale (another output type or `#[node(version = N)]`) or a node upstream of it
/// in the item runs because it has no usable row; an `#[ephemeral]` node runs when a
/// node that runs needs it; a router with a recorded arm holds the item to that arm.
/// A nested fan-out or sub-workflow that runs with inputs of its own that changed
/// (something upstream of it runs again) forgets the rows under it. Empty: every node runs (nothing was
/// recorded for this run's items, the common case of a run that is not resumed).
pub(super) fn item_resume<W: Workflow>(
    codec: &ItemCodec<W>,
    link: &DurableLink,
    shared: &RunShared,
) -> Result<Vec<Resume<W::Value>>, WorkflowError> {
    if !link.has_items() {
        return Ok(Vec::new());
    }
    let run = link.run;
    let nodes = W::PLAN.nodes;
    let k = nodes.len();
    let ephemeral = |j: usize| codec.ephemeral.get(j).copied().unwrap_or(false);
    let version = |j: usize| codec.versions.get(j).copied().unwrap_or(1);
    // One row per name: a merge's definitions share their binding's row.
    let mut by_name: Vec<(&'static str, Option<RecordedOutput>)> = Vec::new();
    for (j, node) in nodes.iter().enumerate() {
        if ephemeral(j) || by_name.iter().any(|(n, _)| *n == node.name) {
            continue;
        }
        let row = link.take_item(&shared.node_name(j)).filter(|row| {
            let fits = row.node_version == version(j) && row.output_type == (codec.output_type)(j);
            if !fits {
                tracing::info!(target: "workflow", run = run.0, node = %row.path, "recorded output not restored: the node changed");
            }
            fits
        });
        by_name.push((node.name, row));
    }
    let row_of = |name: &str| {
        by_name
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, r)| r.as_ref())
    };
    let decode = |j: usize, row: &RecordedOutput| {
        (codec.decode)(j, &row.value, run).map_err(|e| item_error(shared, run, j, e))
    };
    let mut not_taken = vec![false; k];
    for decision in W::PLAN.decisions {
        let Some(row) = row_of(nodes[decision.router].name) else {
            continue;
        };
        let Some(arm) = W::chosen_arm(&decode(decision.router, row)?) else {
            continue;
        };
        for (a, arm_nodes) in decision.arms.iter().enumerate() {
            if a != arm {
                arm_nodes.iter().for_each(|&n| not_taken[n] = true);
            }
        }
    }
    let has_row = |j: usize| !not_taken[j] && row_of(nodes[j].name).is_some();
    let mut dirty: Vec<bool> = (0..k)
        .map(|j| !not_taken[j] && !ephemeral(j) && !has_row(j))
        .collect();
    let mut upstream_dirty = vec![false; k];
    loop {
        let mut again = false;
        for i in 0..k {
            if !dirty[i] {
                continue;
            }
            for &s in nodes[i].successors.iter().filter(|&&s| !not_taken[s]) {
                upstream_dirty[s] = true;
                again |= !std::mem::replace(&mut dirty[s], true);
            }
        }
        if !again {
            break;
        }
    }
    let mut runs: Vec<bool> = (0..k).map(|j| !ephemeral(j) && dirty[j]).collect();
    loop {
        let mut again = false;
        for j in 0..k {
            if ephemeral(j) && !runs[j] && nodes[j].successors.iter().any(|&s| runs[s]) {
                runs[j] = true;
                again = true;
            }
        }
        if !again {
            break;
        }
    }
    (0..k)
        .map(|j| {
            if runs[j] && upstream_dirty[j] {
                link.forget_items(&shared.node_name(j));
            }
            Ok(match (runs[j], has_row(j)) {
                (true, _) => Resume::Run,
                (false, true) => match row_of(nodes[j].name) {
                    Some(row) => Resume::Restore(decode(j, row)?),
                    None => Resume::Run,
                },
                (false, false) => Resume::Skip,
            })
        })
        .collect()
}
