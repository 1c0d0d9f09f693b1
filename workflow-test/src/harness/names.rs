//! Node names in assertions: which names the runs know (bindings, fan-out items' and
//! sub-workflows' paths, `Workflow::node`), and the "did you mean" of a misspelt one.
//! Private methods and plain fns only: the harness's public methods stay in
//! `harness.rs`, where rustc names them `Harness::method` in compile errors (from here
//! it would say `harness::names::<impl Harness>::method`).

use workflow_core::__private::Plan;

use super::{lock, Harness};

impl Harness {
    pub(super) fn known_nodes(&self) -> Vec<String> {
        let state = lock(&self.inner.state);
        let mut names: Vec<String> = state.counts.keys().map(ToString::to_string).collect();
        names.sort();
        names
    }

    /// "did you mean `page`? " for a misspelt `node`: a node of the runs' reports first,
    /// else a binding or node fn the run workflows declare (a fan-out body's node over an
    /// empty list is in no report, yet counting it is no mistake); else nothing.
    pub(super) fn guess(&self, node: &str) -> String {
        let guess = did_you_mean(node, &self.known_nodes());
        if !guess.is_empty() {
            return guess;
        }
        let mut declared = Vec::new();
        for plan in lock(&self.inner.state).plans.iter() {
            declared_names(plan, &mut declared);
        }
        declared.sort();
        declared.dedup();
        did_you_mean(node, &declared)
    }

    /// When `node` is a bare name that no workflow binds at its top level and that is not
    /// a `#[node]` fn's name either: the item-wide paths (`cubes.c`, `m.each.y`, no item
    /// index) that end in it, each with its count, as `` `cubes.c` (5) ``.
    pub(super) fn nested_paths_of(&self, node: &str) -> Vec<String> {
        if node.contains(['.', '[', ':']) || self.is_known_fn(node) {
            return Vec::new();
        }
        let state = lock(&self.inner.state);
        if state.counts.contains_key(node) || state.qualified.contains_key(node) {
            return Vec::new();
        }
        let suffix = format!(".{node}");
        let mut paths: Vec<String> = state
            .counts
            .iter()
            .filter(|(k, _)| k.ends_with(&suffix) && !k.contains('['))
            .map(|(k, v)| format!("`{k}` ({v})"))
            .collect();
        paths.sort();
        paths
    }

    /// For `Sub::path` where `Sub` never ran as a workflow of its own but its node ran
    /// inside the runs of others: the hint to name it by the outer workflow and its path
    /// (`Site::front.slug`), with each count.
    pub(super) fn sub_workflow_hint(&self, node: &str) -> Option<String> {
        let (workflow, path) = node.split_once("::")?;
        let state = lock(&self.inner.state);
        let prefix = format!("{workflow}::");
        if state.qualified.keys().any(|k| k.starts_with(&prefix)) {
            return None;
        }
        let suffix = format!(".{path}");
        let mut found: Vec<String> = state
            .qualified
            .iter()
            .filter(|(k, _)| {
                k.ends_with(&suffix) && !k.split_once("::").is_some_and(|(_, p)| p.contains('['))
            })
            .map(|(k, v)| format!("`{k}` ({v})"))
            .collect();
        if found.is_empty() {
            return None;
        }
        found.sort();
        Some(format!(
            " (`{workflow}` ran only as a sub-workflow or `map` here, whose nodes are counted under the workflow that ran and their path: {})",
            found.join(", ")
        ))
    }

    /// Whether runs were recorded and none of them has a node `node`: not a binding or
    /// path of any report (which lists skipped and not-taken nodes too), a path without
    /// item indices, a `Workflow::path`, or a `#[node]` fn's name. A path inside a
    /// fan-out or sub-workflow binding that exists (`thumbs.img` of a fan-out over an
    /// empty list, whose body never ran, or `thumbs[7].img`) is not called unknown: the
    /// report has no entry for a body that never ran.
    pub(super) fn is_unknown_name(&self, node: &str) -> bool {
        let state = lock(&self.inner.state);
        if state.runs == 0
            || state.counts.contains_key(node)
            || state.qualified.contains_key(node)
            || state.fn_counts.contains_key(node)
        {
            return false;
        }
        let (workflow, path) = match node.split_once("::") {
            Some((w, p)) => (Some(w), p),
            None => (None, node),
        };
        let declared = |p: &&Plan| workflow.is_none_or(|w| p.name == w) && declares(p, path);
        if state.plans.iter().any(declared) {
            return false;
        }
        let head = path.split(['.', '[']).next().unwrap_or(path);
        if head == path {
            return true;
        }
        match workflow {
            Some(w) => !state.qualified.contains_key(&format!("{w}::{head}")),
            None => !state.counts.contains_key(head),
        }
    }

    pub(super) fn is_known_fn(&self, node: &str) -> bool {
        lock(&self.inner.state).fn_counts.contains_key(node)
    }

    pub(super) fn counts_line(&self) -> String {
        let state = lock(&self.inner.state);
        let mut counts: Vec<_> = state.counts.iter().collect();
        counts.sort();
        if counts.is_empty() {
            return "none (no node ran)".into();
        }
        counts
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// How a run is named in messages: its number in this harness, or, for a run the
    /// harness did not record (executed on a runtime directly), its run id.
    pub(super) fn number_of(&self, run_id: u64) -> String {
        let state = lock(&self.inner.state);
        state
            .last
            .iter()
            .chain(state.records.iter().rev())
            .find(|r| r.run_id() == run_id)
            .map_or_else(|| format!("(id {run_id})"), |r| r.number().to_string())
    }
}

/// `Etl::page` -> (`Some("Etl")`, `page`); `page` -> (`None`, `page`).
pub(super) fn qualified(node: &str) -> (Option<&str>, &str) {
    match node.split_once("::") {
        Some((workflow, name)) if !workflow.is_empty() => (Some(workflow), name),
        _ => (None, node),
    }
}

/// A node path without its fan-out item indices (`thumbs[3].img` -> `thumbs.img`), or
/// `None` when it has none.
pub(super) fn without_item_indices(path: &str) -> Option<String> {
    if !path.contains('[') {
        return None;
    }
    let mut out = String::with_capacity(path.len());
    let mut depth = 0u32;
    for c in path.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    Some(out)
}

/// Adds to `out` the bindings and node fns `plan` declares, those of its sub-workflows
/// and fan-out bodies included (as [`declares`] finds them).
pub(super) fn declared_names(plan: &Plan, out: &mut Vec<String>) {
    for n in plan.nodes {
        out.push(n.name.to_string());
        out.push(n.node_fn.to_string());
        if let Some(child) = n.child {
            declared_names(child, out);
        }
    }
    for (_, body) in plan.fan_outs {
        declared_names(body, out);
    }
}

/// Whether `name` is a binding or a `#[node]` fn declared in `plan`, in its
/// sub-workflows' and fan-out bodies' plans too.
pub(super) fn declares(plan: &Plan, name: &str) -> bool {
    plan.nodes
        .iter()
        .any(|n| n.name == name || n.node_fn == name || n.child.is_some_and(|c| declares(c, name)))
        || plan.fan_outs.iter().any(|(_, p)| declares(p, name))
}

/// "did you mean `user`? " when `name` is a likely misspelling of one of `known` (an
/// edit distance, a swap of two neighbours counting one, of at most a third of its
/// length and at least 1), else nothing.
pub(super) fn did_you_mean(name: &str, known: &[String]) -> String {
    fn distance(a: &str, b: &str) -> usize {
        // Optimal string alignment: Levenshtein plus adjacent transpositions.
        let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
        let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
        for (i, row) in d.iter_mut().enumerate() {
            row[0] = i;
        }
        for (j, cell) in d[0].iter_mut().enumerate() {
            *cell = j;
        }
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                let mut best = (d[i - 1][j] + 1)
                    .min(d[i][j - 1] + 1)
                    .min(d[i - 1][j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    best = best.min(d[i - 2][j - 2] + 1);
                }
                d[i][j] = best;
            }
        }
        d[a.len()][b.len()]
    }
    let len = name.chars().count();
    let limit = (len / 3).max(1);
    known
        .iter()
        // The lengths' difference is a lower bound of the distance: a name far longer
        // (or shorter) than a known one is no misspelling of it, and its distance
        // table (one cell per pair of chars) is not built.
        .filter(|k| len.abs_diff(k.chars().count()) <= limit)
        .map(|k| (distance(name, k), k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| format!("did you mean `{k}`? "))
        .unwrap_or_default()
}
