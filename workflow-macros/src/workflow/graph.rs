//! The resolved graph of a workflow (who feeds whom, how many consumers each value has,
//! a topological order), and [`Workflow`], everything expansion reads.

use std::collections::{BTreeSet, HashMap};

use super::ast::{ArmRef, Scope, WorkflowDef};
use super::attr::{BindingAttrs, WorkflowAttrs};
use super::resolve::{Edge, Origin};

/// A node's place in the graph: a binding's, or a decision's router's.
pub(crate) struct NodeLinks {
    /// Its resolved port connections, in port order (a router's: what it matches).
    pub(crate) edges: Vec<Edge>,
    /// Distinct upstream nodes.
    pub(crate) deps: Vec<usize>,
    /// Distinct downstream nodes.
    pub(crate) successors: Vec<usize>,
    /// Reads of this node's output slot in one run, at most (plus one if it is kept as
    /// an output); counted on a merge's first definition, which owns the slot. Reads in
    /// different arms of one decision never both happen, so they count as one.
    pub(crate) consumers: u32,
    /// Whether its output is in the workflow's output struct: a sink, or `#[output]`.
    pub(crate) is_output: bool,
}

/// A value slot, as the graph counts its readers.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum SlotKey {
    Input(usize),
    Node(usize),
    Pattern(ArmRef, usize),
}

pub(crate) struct Graph {
    /// One per binding, in declaration order, then one per decision (its router).
    pub(crate) nodes: Vec<NodeLinks>,
    /// The number of bindings: node `bindings + d` is decision `d`'s router.
    pub(crate) bindings: usize,
    /// Ports fed by each input (reads in one run, at most).
    pub(crate) input_consumers: Vec<u32>,
    /// Reads of each pattern binding's slot, `(arm, name index)`.
    pub(crate) pattern_consumers: HashMap<(ArmRef, usize), u32>,
    /// Node indices (bindings and routers) in a topological order (declaration order
    /// among ready nodes); nodes on a cycle come last.
    pub(crate) topo: Vec<usize>,
    /// Whether some nodes are on a cycle.
    pub(crate) has_cycle: bool,
}

impl Graph {
    /// Links the resolved edges (one list per binding, one optional edge per decision)
    /// into a graph. `keep_output[i]` is binding `i`'s `#[output]`.
    pub(crate) fn build(
        def: &WorkflowDef,
        edges: Vec<Vec<Edge>>,
        decision_edges: Vec<Option<Edge>>,
        keep_output: &[bool],
    ) -> Self {
        let bindings = edges.len();
        let mut nodes: Vec<NodeLinks> = edges
            .into_iter()
            .chain(decision_edges.into_iter().map(|e| e.into_iter().collect()))
            .map(|edges| NodeLinks {
                edges,
                deps: Vec::new(),
                successors: Vec::new(),
                consumers: 0,
                is_output: false,
            })
            .collect();
        let scope_of = |i: usize| -> &[ArmRef] {
            if i < bindings {
                &def.bindings[i].scope
            } else {
                &def.decisions[i - bindings].scope
            }
        };
        let mut reads: HashMap<SlotKey, Vec<Scope>> = HashMap::new();
        for i in 0..nodes.len() {
            let scope = scope_of(i).to_vec();
            let mut upstream: Vec<usize> = Vec::new();
            for edge in &nodes[i].edges {
                let key = match edge.from {
                    Origin::Input(k) => SlotKey::Input(k),
                    Origin::Node(j) => SlotKey::Node(j),
                    Origin::Pattern(arm, k) => SlotKey::Pattern(arm, k),
                };
                reads.entry(key).or_default().push(scope.clone());
                upstream.extend(edge.producers.iter().copied());
            }
            // Inside an arm, a node waits for its decision's router.
            if let Some(r) = scope.last() {
                upstream.push(bindings + r.decision);
            }
            for j in upstream {
                if j != i && !nodes[i].deps.contains(&j) {
                    nodes[i].deps.push(j);
                    nodes[j].successors.push(i);
                }
            }
        }
        let count = |key: SlotKey| -> u32 {
            let scopes = reads.get(&key).map_or(&[][..], Vec::as_slice);
            reads_in_one_run(def, scopes, &Scope::new())
        };
        let input_consumers = (0..def.inputs.len())
            .map(|k| count(SlotKey::Input(k)))
            .collect();
        let mut pattern_consumers = HashMap::new();
        for key in reads.keys() {
            if let SlotKey::Pattern(arm, k) = *key {
                pattern_consumers.insert((arm, k), count(*key));
            }
        }
        for (i, node) in nodes.iter_mut().enumerate().take(bindings) {
            node.consumers = count(SlotKey::Node(i));
        }
        // A merge is one output: kept if any definition says so, a sink if no
        // definition is read.
        let owners = owners_of(def);
        for (i, &owner) in owners.iter().enumerate() {
            if keep_output.get(i).copied().unwrap_or(false) && !nodes[owner].is_output {
                nodes[owner].is_output = true;
                nodes[owner].consumers += 1;
            }
        }
        for (i, node) in nodes.iter_mut().enumerate().take(bindings) {
            if owners[i] == i && node.consumers == 0 {
                node.is_output = true;
            }
        }
        let (topo, has_cycle) = topological_order(&nodes);
        Self {
            nodes,
            bindings,
            input_consumers,
            pattern_consumers,
            topo,
            has_cycle,
        }
    }

    /// The binding indices in topological order (without the routers).
    pub(crate) fn binding_order(&self) -> impl Iterator<Item = usize> + '_ {
        self.topo.iter().copied().filter(|&i| i < self.bindings)
    }
}

/// The first definition of binding `i`'s name: the owner of a merge's slot.
pub(crate) fn owner_of(def: &WorkflowDef, i: usize) -> usize {
    let b = &def.bindings[i];
    def.bindings[..i]
        .iter()
        .position(|o| o.name == b.name && super::ast::exclusive(&o.scope, &b.scope))
        .unwrap_or(i)
}

/// `owner_of` every binding, comparing each only with the earlier bindings of its name
/// (a scan of all earlier bindings per binding was quadratic, issue 17).
pub(crate) fn owners_of(def: &WorkflowDef) -> Vec<usize> {
    let mut by_name: std::collections::HashMap<String, Vec<usize>> =
        std::collections::HashMap::new();
    (0..def.bindings.len())
        .map(|i| {
            let b = &def.bindings[i];
            let same = by_name.entry(b.name.to_string()).or_default();
            let owner = same
                .iter()
                .copied()
                .find(|&o| super::ast::exclusive(&def.bindings[o].scope, &b.scope))
                .unwrap_or(i);
            same.push(i);
            owner
        })
        .collect()
}

/// The most reads one run makes, for reads at `scopes`, of those in `scope` and below:
/// the reads right there, plus for each decision there the most of any one arm.
fn reads_in_one_run(def: &WorkflowDef, scopes: &[Scope], scope: &[ArmRef]) -> u32 {
    let here = scopes.iter().filter(|s| s.as_slice() == scope).count() as u32;
    let below: u32 = def
        .decisions
        .iter()
        .enumerate()
        .filter(|(_, d)| d.scope == scope)
        .map(|(d, decision)| {
            (0..decision.arms.len())
                .map(|arm| {
                    let mut inner = scope.to_vec();
                    inner.push(ArmRef { decision: d, arm });
                    if scopes.iter().any(|s| s.starts_with(&inner)) {
                        reads_in_one_run(def, scopes, &inner)
                    } else {
                        0
                    }
                })
                .max()
                .unwrap_or(0)
        })
        .sum();
    here + below
}

impl Graph {
    /// The same graph without the given connections (`(binding, port)`).
    pub(crate) fn without_edges(
        self,
        def: &WorkflowDef,
        cut: &[(usize, String)],
        keep_output: &[bool],
    ) -> Self {
        let bindings = self.bindings;
        let mut edges: Vec<Vec<Edge>> = Vec::new();
        let mut decision_edges = Vec::new();
        for (i, node) in self.nodes.into_iter().enumerate() {
            let kept: Vec<Edge> = node
                .edges
                .into_iter()
                .filter(|e| !cut.iter().any(|(c, port)| *c == i && e.port == port))
                .collect();
            if i < bindings {
                edges.push(kept);
            } else {
                decision_edges.push(kept.into_iter().next());
            }
        }
        Self::build(def, edges, decision_edges, keep_output)
    }
}

/// Kahn's algorithm, smallest declaration index first. Nodes on cycles are appended
/// at the end (only reached when errors are reported anyway).
fn topological_order(nodes: &[NodeLinks]) -> (Vec<usize>, bool) {
    let mut deps: Vec<usize> = nodes.iter().map(|n| n.deps.len()).collect();
    let mut ready: BTreeSet<usize> = (0..nodes.len()).filter(|&i| deps[i] == 0).collect();
    let mut order = Vec::with_capacity(nodes.len());
    while let Some(i) = ready.pop_first() {
        order.push(i);
        for &s in &nodes[i].successors {
            deps[s] -= 1;
            if deps[s] == 0 {
                ready.insert(s);
            }
        }
    }
    let has_cycle = order.len() < nodes.len();
    if has_cycle {
        let mut placed = vec![false; nodes.len()];
        for &i in &order {
            placed[i] = true;
        }
        order.extend((0..nodes.len()).filter(|&i| !placed[i]));
    }
    (order, has_cycle)
}

/// A parsed and resolved workflow: the input of expansion (and of the fallback
/// expansion next to errors).
pub(crate) struct Workflow<'a> {
    pub(crate) def: &'a WorkflowDef,
    pub(crate) attrs: WorkflowAttrs,
    /// One per binding, in declaration order.
    pub(crate) bindings: Vec<BindingAttrs>,
    pub(crate) graph: Graph,
    pub(crate) namespace: super::resolve::Namespace,
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use crate::internals::Ctxt;
    use crate::workflow::ast::WorkflowDef;

    fn graph_of(src: proc_macro2::TokenStream) -> super::Graph {
        let cx = Ctxt::new();
        let def = WorkflowDef::parse(&cx, src).expect("parses");
        let (w, _) = crate::workflow::analyse(&cx, &def);
        assert!(!cx.has_errors(), "{:?}", cx.messages());
        w.graph
    }

    #[test]
    fn topological_order_respects_edges_then_declaration_order() {
        let g = graph_of(quote! {
            struct W { input u: u8, c = h(x: b), a = f(u), b = g(x: a), d = k(u) }
        });
        assert_eq!(g.topo, [1, 2, 0, 3]);
    }

    #[test]
    fn reads_in_exclusive_arms_count_once_and_a_merge_waits_for_each_definition() {
        let g = graph_of(quote! {
            struct W {
                input u: u8,
                t = f(u),
                match t {
                    A(x) => { m = g(x, u), }
                    B(y) => { k = h(y, u), m = g(x: k, u) }
                }
                z = h(m, opt: k?),
            }
        });
        // `u` is read by `t` and by one arm's nodes: at most 1 + 2 reads in one run.
        assert_eq!(g.input_consumers, [3]);
        // Bindings t, m, k, m, z; then the router (5).
        assert_eq!(g.bindings, 5);
        assert_eq!(g.nodes[5].deps, [0]);
        assert_eq!(g.nodes[1].deps, [5]);
        // `z` waits for both definitions of `m` and for `k`.
        let mut z = g.nodes[4].deps.clone();
        z.sort_unstable();
        assert_eq!(z, [1, 2, 3]);
        // `m`'s one slot (on its first definition) has one reader.
        assert_eq!(g.nodes[1].consumers, 1);
        assert!(!g.nodes[3].is_output);
        assert!(!g.has_cycle);
    }

    #[test]
    fn consumers_are_counted_per_source() {
        let g = graph_of(quote! {
            struct W { input u: u8, a = f(u), b = g(x: a, y: a.0), #[output] c = h(a, u) }
        });
        assert_eq!(g.input_consumers, [2]);
        assert_eq!(g.nodes[0].consumers, 3);
        assert_eq!(g.nodes[0].successors, [1, 2]);
        assert_eq!(g.nodes[1].deps, [0]);
        // `b` is a sink; `c` is a sink and also marked `#[output]` (one more reader).
        assert_eq!(g.nodes[2].consumers, 1);
        assert!(!g.nodes[0].is_output);
        assert!(g.nodes[1].is_output && g.nodes[2].is_output);
    }
}
