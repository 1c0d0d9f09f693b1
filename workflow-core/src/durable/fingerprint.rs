//! A durable workflow's fingerprint (its graph as text, entry by entry) and what a
//! resume makes of a changed one: the nodes that changed, inputs that may not.

use std::collections::HashMap;

use super::*;
use crate::error::WorkflowError;
use crate::executor::Workflow;
use crate::store::RunId;

/// Node `template`'s index in `W`'s plan.
pub(super) fn node_index<W: Workflow>(name: &str) -> Option<usize> {
    W::PLAN.nodes.iter().position(|n| n.name == name)
}

/// The name in a fingerprint entry: `b` of `b=f(..)`, `conn` of `~conn@2=connect(..)`
/// (an ephemeral binding at version 2), `input n` of `input n: u64`.
fn entry_name(entry: &str) -> &str {
    let name = entry.split(['=', ':', '@']).next().unwrap_or(entry);
    name.trim_start_matches('~')
}

/// The fingerprint entries by name (`binding=..` or `input name: Type`).
fn entries(fingerprint: &str) -> HashMap<&str, &str> {
    fingerprint
        .split(';')
        .filter(|e| !e.is_empty())
        .map(|e| (entry_name(e), e))
        .collect()
}

/// The fingerprint a run of `W` records: `W::FINGERPRINT`, with the version of each
/// `#[ephemeral]` node whose version is not 1 (`~conn@2=connect(..)`), and after the
/// entry of each sub-workflow binding and fan-out the hash of what it runs
/// (`#1f..`, see `plan_shape_hash`). An ephemeral node has no row to carry its
/// version, so this is where a bump shows: as a changed entry, after which the nodes it
/// feeds run again.
pub fn fingerprint<W: DurableWorkflow>() -> String {
    let bumped = |name: &str| {
        node_index::<W>(name)
            .filter(|&i| W::EPHEMERAL.get(i).copied().unwrap_or(false))
            .and_then(|i| W::NODE_VERSIONS.get(i).copied())
            .filter(|&v| v != 1)
    };
    let child = |name: &str| node_index::<W>(name).and_then(|i| shaped(W::PLAN, i));
    let mut out = String::with_capacity(W::FINGERPRINT.len());
    for entry in W::FINGERPRINT.split_terminator(';') {
        match (bumped(entry_name(entry)), entry.split_once('=')) {
            (Some(version), Some((name, rest))) => {
                out.push_str(&format!("{name}@{version}={rest}"));
            }
            _ => out.push_str(entry),
        }
        if let Some(plan) = child(entry_name(entry)) {
            out.push_str(&format!("#{:016x}", plan_shape_hash(plan)));
        }
        out.push(';');
    }
    out
}

/// The plan node `i` of `plan` runs inside it: a sub-workflow's, or what each item of a
/// fan-out runs (its `for` body, `map`'s workflow).
fn shaped(plan: &crate::plan::Plan, i: usize) -> Option<&'static crate::plan::Plan> {
    plan.nodes.get(i)?.child.or_else(|| {
        plan.fan_outs
            .iter()
            .find(|&&(node, _)| node == i)
            .map(|&(_, items)| items)
    })
}

/// A hash of the shape of what a sub-workflow binding or a fan-out runs: the nodes of
/// that plan (binding and `#[node]` fn), their successors, its decisions' arms, and the
/// plans its own sub-workflows and fan-outs run, recursively. It goes in the binding's
/// fingerprint entry (`report=Render(page<-page)#1f..`, `ys=.. for x {r=Render(..)}=>r#..`,
/// `ys=.. map Render#..`), whose text names the sub-workflow but not what is in it: a
/// resumed run whose sub-workflow's code changed (another node fn, another arm, a node
/// more), even one that an item calls, then sees the binding as changed, and runs it
/// again as a whole (every item) rather than restoring rows of its nodes
/// (`report.layout`, `ys[2].r.layout`) that the earlier code recorded. What a node's fn
/// does is `#[node(version = N)]`'s to say, per row, as for any node.
///
/// Fan-outs' entries got their hash after sub-workflows' did, and so did the hash of a
/// sub-workflow holding a fan-out change: a run recorded by the earlier code resumes
/// with those bindings changed, and runs them again once (the safe direction).
fn plan_shape_hash(plan: &crate::plan::Plan) -> u64 {
    fn shape(plan: &crate::plan::Plan, out: &mut String) {
        use std::fmt::Write as _;
        out.push_str(plan.name);
        out.push('{');
        for (i, node) in plan.nodes.iter().enumerate() {
            let _ = write!(out, "{}={}>{:?}", node.name, node.node_fn, node.successors);
            if let Some(child) = node.child {
                shape(child, out);
            } else if let Some(items) = shaped(plan, i) {
                // Marked apart from a sub-workflow's, and absent from a plan without
                // fan-outs: the hashes recorded before fan-outs had theirs stay the same.
                out.push('*');
                shape(items, out);
            }
            out.push(';');
        }
        for decision in plan.decisions {
            let _ = write!(out, "?{}:{:?}", decision.router, decision.arms);
        }
        out.push('}');
    }
    let mut text = String::new();
    shape(plan, &mut text);
    // 64-bit FNV-1a: stable across builds and toolchains, as a stored fingerprint must be
    // (std's `DefaultHasher` may change between Rust releases).
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash: u64, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A `WorkflowError::Store` naming the inputs that differ between the run's recorded
/// fingerprint and the current one: changed or added (`input m`), or removed
/// (`input k (removed)`).
pub(super) fn refuse_changed_inputs<W: DurableWorkflow>(
    recorded: &str,
    run: RunId,
) -> Result<(), WorkflowError> {
    let current = fingerprint::<W>();
    let mut inputs: Vec<String> = changed_nodes(recorded, &current)
        .into_iter()
        .filter(|c| c.starts_with("input "))
        .map(str::to_owned)
        .collect();
    inputs.sort_unstable();
    let now = entries(&current);
    let mut removed: Vec<&str> = entries(recorded)
        .into_keys()
        .filter(|name| name.starts_with("input ") && !now.contains_key(name))
        .collect();
    removed.sort_unstable();
    inputs.extend(removed.into_iter().map(|name| format!("{name} (removed)")));
    if inputs.is_empty() {
        return Ok(());
    }
    Err(other_error::<W>(
        run,
        format!(
            "the workflow's inputs changed since the run started ({}); it cannot be resumed",
            inputs.join(", ")
        ),
    ))
}

/// The entries of `current` (nodes and inputs, by name) that differ from or are missing
/// in `recorded`.
pub(super) fn changed_nodes<'a>(recorded: &str, current: &'a str) -> Vec<&'a str> {
    let old = entries(recorded);
    entries(current)
        .into_iter()
        .filter(|(_, entry)| !old.values().any(|o| o == entry))
        .map(|(name, _)| name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::changed_nodes;

    const V1: &str = "input n: u64;a=first(n<-n);b=double(x<-a);c=pair(x<-a);";

    #[test]
    fn only_entries_that_differ_are_changed() {
        assert!(changed_nodes(V1, V1).is_empty());
        // `b` reads from another node; `c` calls another fn; `d` is new; `a` is as it was.
        let v2 = "input n: u64;a=first(n<-n);b=double(x<-c);c=triple(x<-a);d=join(y<-b);";
        let mut changed = changed_nodes(V1, v2);
        changed.sort_unstable();
        assert_eq!(changed, ["b", "c", "d"]);
        // A removed node is not in the current graph: nothing of it runs.
        assert!(changed_nodes(V1, "input n: u64;a=first(n<-n);").is_empty());
        // An ephemeral binding whose version was bumped (see `fingerprint`).
        let v2 = V1.replace("c=pair", "~c@2=pair");
        let v3 = V1.replace("c=pair", "~c@3=pair");
        assert_eq!(changed_nodes(&v2, &v3), ["c"]);
        assert!(changed_nodes(&v2, &v2).is_empty());
        // A changed input type shows as the input entry.
        assert_eq!(
            changed_nodes(
                V1,
                "input n: u32;a=first(n<-n);b=double(x<-a);c=pair(x<-a);"
            ),
            ["input n"]
        );
    }
}
