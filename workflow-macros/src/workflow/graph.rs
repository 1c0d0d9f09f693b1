//! The resolved graph of a workflow (who feeds whom, how many consumers each value has,
//! a topological order), and [`Workflow`], everything expansion reads.

use std::collections::BTreeSet;

use super::ast::WorkflowDef;
use super::attr::{BindingAttrs, WorkflowAttrs};
use super::resolve::{Edge, Origin};

/// A binding's place in the graph.
pub(crate) struct NodeLinks {
    /// Its resolved port connections, in port order.
    pub(crate) edges: Vec<Edge>,
    /// Distinct upstream nodes.
    pub(crate) deps: Vec<usize>,
    /// Distinct downstream nodes.
    pub(crate) successors: Vec<usize>,
    /// Ports fed by this node's output (plus one if it is kept as an output).
    pub(crate) consumers: u32,
    /// Whether its output is in the workflow's output struct: a sink, or `#[output]`.
    pub(crate) is_output: bool,
}

pub(crate) struct Graph {
    /// One per binding, in declaration order.
    pub(crate) nodes: Vec<NodeLinks>,
    /// Ports fed by each input.
    pub(crate) input_consumers: Vec<u32>,
    /// Binding indices in a topological order (declaration order among ready nodes);
    /// nodes on a cycle come last.
    pub(crate) topo: Vec<usize>,
}

impl Graph {
    /// Links the resolved edges (one list per binding) into a graph. `keep_output[i]`
    /// is binding `i`'s `#[output]`.
    pub(crate) fn build(input_count: usize, edges: Vec<Vec<Edge>>, keep_output: &[bool]) -> Self {
        let mut nodes: Vec<NodeLinks> = edges
            .into_iter()
            .map(|edges| NodeLinks {
                edges,
                deps: Vec::new(),
                successors: Vec::new(),
                consumers: 0,
                is_output: false,
            })
            .collect();
        let mut input_consumers = vec![0u32; input_count];
        for i in 0..nodes.len() {
            let origins: Vec<Origin> = nodes[i].edges.iter().map(|e| e.from).collect();
            for origin in origins {
                match origin {
                    Origin::Input(k) => input_consumers[k] += 1,
                    Origin::Node(j) => {
                        nodes[j].consumers += 1;
                        if !nodes[i].deps.contains(&j) {
                            nodes[i].deps.push(j);
                            nodes[j].successors.push(i);
                        }
                    }
                }
            }
        }
        for (node, &keep) in nodes.iter_mut().zip(keep_output) {
            node.is_output = keep || node.consumers == 0;
            if keep {
                node.consumers += 1;
            }
        }
        let topo = topological_order(&nodes);
        Self {
            nodes,
            input_consumers,
            topo,
        }
    }
}

impl Graph {
    /// The same graph without the given connections (`(binding, port)`).
    pub(crate) fn without_edges(self, cut: &[(usize, String)], keep_output: &[bool]) -> Self {
        let input_count = self.input_consumers.len();
        let edges = self
            .nodes
            .into_iter()
            .enumerate()
            .map(|(i, node)| {
                node.edges
                    .into_iter()
                    .filter(|e| !cut.iter().any(|(c, port)| *c == i && e.port == port))
                    .collect()
            })
            .collect();
        Self::build(input_count, edges, keep_output)
    }
}

/// Kahn's algorithm, smallest declaration index first. Nodes on cycles are appended
/// at the end (only reached when errors are reported anyway).
fn topological_order(nodes: &[NodeLinks]) -> Vec<usize> {
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
    for i in 0..nodes.len() {
        if !order.contains(&i) {
            order.push(i);
        }
    }
    order
}

/// A parsed and resolved workflow: the input of expansion (and of the fallback
/// expansion next to errors).
pub(crate) struct Workflow<'a> {
    pub(crate) def: &'a WorkflowDef,
    pub(crate) attrs: WorkflowAttrs,
    /// One per binding, in declaration order.
    pub(crate) bindings: Vec<BindingAttrs>,
    pub(crate) graph: Graph,
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
