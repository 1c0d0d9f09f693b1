//! Pictures of a workflow with `match`/`if` decisions: each decision is a node of its
//! own (`match_t`), its arms are subgraphs, and the edges into an arm are labelled with
//! the arm's pattern. Workflows without decisions are drawn by `render` (which also
//! draws fan-outs); this module is used only when the workflow has a decision.

use std::fmt::Write as _;

use super::render::{dot_text, ident_text, mermaid_id, mermaid_text, type_text};
use super::WorkflowGen;
use crate::workflow::ast::{path_text, ArmRef};
use crate::workflow::resolve::{Edge, Origin};

/// The label of an edge: the port, or `field as port` when a field of an output feeds
/// a port of another name.
fn edge_label(e: &Edge) -> String {
    let port = ident_text(&e.port);
    // A pattern binding comes from the decision's node: say which binding it is.
    if matches!(e.from, Origin::Pattern(..)) && e.source.root != e.port {
        return format!("{} as {port}", ident_text(&e.source.root));
    }
    if e.source.fields.is_empty() {
        port
    } else {
        let text = e.source.text();
        let field = text.split_once('.').map_or("", |(_, f)| f);
        if port == field {
            port
        } else {
            format!("{field} as {port}")
        }
    }
}

/// The graph's nodes as the pictures name them.
struct Names<'a> {
    gen: &'a WorkflowGen<'a>,
}

impl Names<'_> {
    /// Node `i`'s id: a binding's name (a merge's later definitions add their index), a
    /// router's `match_t`.
    fn node(&self, i: usize) -> String {
        let def = self.gen.def;
        if i >= def.bindings.len() {
            return self.gen.router_name(i - def.bindings.len());
        }
        let name = ident_text(&def.bindings[i].name);
        if self.gen.owner(i) == i {
            name
        } else {
            format!("{name}__{i}")
        }
    }

    /// The ids an edge comes from: an input, each binding it may carry (several for a
    /// merge), or the router whose pattern binds it.
    fn sources(&self, e: &Edge) -> Vec<String> {
        let def = self.gen.def;
        match e.from {
            Origin::Input(k) => vec![ident_text(&def.inputs[k].name)],
            Origin::Node(_) => e.producers.iter().map(|&j| self.node(j)).collect(),
            Origin::Pattern(arm, _) => vec![self.gen.router_name(arm.decision)],
        }
    }

    /// The id of arm `arm`'s subgraph: `match_t_arm0`.
    fn arm(&self, arm: ArmRef) -> String {
        format!("{}_arm{}", self.gen.router_name(arm.decision), arm.arm)
    }

    /// Whether node `i` is right inside `scope` (not in an arm within it).
    fn is_in(&self, i: usize, scope: &[ArmRef]) -> bool {
        let def = self.gen.def;
        let own = if i < def.bindings.len() {
            &def.bindings[i].scope
        } else {
            &def.decisions[i - def.bindings.len()].scope
        };
        own.as_slice() == scope
    }
}

/// The graph as a Mermaid flowchart: inputs as parallelograms, nodes as boxes
/// (`binding` over `node_fn`), edges labelled with the port; a decision as a rhombus
/// with an edge labelled by its pattern to a subgraph per arm.
pub(super) fn mermaid(gen: &WorkflowGen<'_>) -> String {
    let (def, g) = (gen.def, gen.g);
    let names = Names { gen };
    let mut s = String::from("flowchart LR\n");
    for input in &def.inputs {
        let name = ident_text(&input.name);
        let label = format!("{name}: {}", type_text(&input.ty));
        let _ = writeln!(
            s,
            "    {}[/\"{}\"/]",
            mermaid_id(&name),
            mermaid_text(&label)
        );
    }
    mermaid_scope(&names, &[], 1, &mut s);
    for (i, n) in g.nodes.iter().enumerate() {
        for e in &n.edges {
            for source in names.sources(e) {
                let label = if i >= def.bindings.len() {
                    String::new()
                } else {
                    format!("|{}|", mermaid_text(&edge_label(e)))
                };
                let _ = writeln!(
                    s,
                    "    {} -->{} {}",
                    mermaid_id(&source),
                    label,
                    mermaid_id(&names.node(i))
                );
            }
        }
    }
    for (d, decision) in def.decisions.iter().enumerate() {
        for (a, arm) in decision.arms.iter().enumerate() {
            let _ = writeln!(
                s,
                "    {} -->|\"{}\"| {}",
                mermaid_id(&gen.router_name(d)),
                mermaid_text(&arm.label),
                mermaid_id(&names.arm(ArmRef {
                    decision: d,
                    arm: a
                }))
            );
        }
    }
    s
}

/// The nodes right inside `scope`, in declaration order, each decision with its arms'
/// subgraphs.
fn mermaid_scope(names: &Names<'_>, scope: &[ArmRef], depth: usize, s: &mut String) {
    let (def, gen) = (names.gen.def, names.gen);
    let pad = "    ".repeat(depth);
    for (i, b) in def.bindings.iter().enumerate() {
        if !names.is_in(i, scope) {
            continue;
        }
        let _ = writeln!(
            s,
            "{pad}{}[\"{}<br/><small>{}</small>\"]",
            mermaid_id(&names.node(i)),
            mermaid_text(&ident_text(&b.name)),
            mermaid_text(&path_text(&b.node))
        );
    }
    for (d, decision) in def.decisions.iter().enumerate() {
        if decision.scope.as_slice() != scope {
            continue;
        }
        let _ = writeln!(
            s,
            "{pad}{}{{\"{} {}\"}}",
            mermaid_id(&gen.router_name(d)),
            decision.keyword,
            mermaid_text(&decision.on.text())
        );
        for (a, arm) in decision.arms.iter().enumerate() {
            let here = ArmRef {
                decision: d,
                arm: a,
            };
            let _ = writeln!(
                s,
                "{pad}subgraph {}[\"{}\"]",
                mermaid_id(&names.arm(here)),
                mermaid_text(&arm.label)
            );
            let mut inner = scope.to_vec();
            inner.push(here);
            mermaid_scope(names, &inner, depth + 1, s);
            let _ = writeln!(s, "{pad}end");
        }
    }
}

/// The graph in Graphviz DOT: a decision is a diamond, each arm a cluster, and the
/// decision's edges into an arm carry its pattern.
pub(super) fn dot(gen: &WorkflowGen<'_>) -> String {
    let (def, g) = (gen.def, gen.g);
    let names = Names { gen };
    let mut s = format!(
        "digraph \"{}\" {{\n    rankdir=LR;\n    node [shape=box];\n",
        dot_text(&ident_text(&def.name))
    );
    for input in &def.inputs {
        let name = ident_text(&input.name);
        let _ = writeln!(
            s,
            "    \"{}\" [shape=parallelogram, label=\"{}: {}\"];",
            dot_text(&name),
            dot_text(&name),
            dot_text(&type_text(&input.ty))
        );
    }
    dot_scope(&names, &[], 1, &mut s);
    for (i, n) in g.nodes.iter().enumerate() {
        for e in &n.edges {
            for source in names.sources(e) {
                let attrs = if i >= def.bindings.len() {
                    String::new()
                } else {
                    format!(" [label=\"{}\"]", dot_text(&edge_label(e)))
                };
                let _ = writeln!(
                    s,
                    "    \"{}\" -> \"{}\"{attrs};",
                    dot_text(&source),
                    dot_text(&names.node(i)),
                );
            }
        }
    }
    for (d, decision) in def.decisions.iter().enumerate() {
        for (a, arm) in decision.arms.iter().enumerate() {
            let here = [ArmRef {
                decision: d,
                arm: a,
            }];
            let mut scope = decision.scope.clone();
            scope.extend(here);
            for i in 0..g.nodes.len() {
                if names.is_in(i, &scope) {
                    let _ = writeln!(
                        s,
                        "    \"{}\" -> \"{}\" [label=\"{}\", style=dashed];",
                        dot_text(&gen.router_name(d)),
                        dot_text(&names.node(i)),
                        dot_text(&arm.label)
                    );
                }
            }
        }
    }
    s.push_str("}\n");
    s
}

/// The DOT nodes right inside `scope`, each decision with a cluster per arm.
fn dot_scope(names: &Names<'_>, scope: &[ArmRef], depth: usize, s: &mut String) {
    let (def, gen) = (names.gen.def, names.gen);
    let pad = "    ".repeat(depth);
    for (i, b) in def.bindings.iter().enumerate() {
        if !names.is_in(i, scope) {
            continue;
        }
        let name = ident_text(&b.name);
        let _ = writeln!(
            s,
            "{pad}\"{}\" [label=\"{}\\n{}\"];",
            dot_text(&names.node(i)),
            dot_text(&name),
            dot_text(&path_text(&b.node))
        );
    }
    for (d, decision) in def.decisions.iter().enumerate() {
        if decision.scope.as_slice() != scope {
            continue;
        }
        let _ = writeln!(
            s,
            "{pad}\"{}\" [shape=diamond, label=\"{} {}\"];",
            dot_text(&gen.router_name(d)),
            decision.keyword,
            dot_text(&decision.on.text())
        );
        for (a, arm) in decision.arms.iter().enumerate() {
            let here = ArmRef {
                decision: d,
                arm: a,
            };
            let _ = writeln!(
                s,
                "{pad}subgraph \"cluster_{}\" {{\n{pad}    label=\"{}\";",
                dot_text(&names.arm(here)),
                dot_text(&arm.label)
            );
            let mut inner = scope.to_vec();
            inner.push(here);
            dot_scope(names, &inner, depth + 1, s);
            let _ = writeln!(s, "{pad}}}");
        }
    }
}
