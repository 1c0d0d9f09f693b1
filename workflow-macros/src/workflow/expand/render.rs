//! Pictures of a workflow's graph, computed at compile time: Mermaid and Graphviz DOT.
//!
//! Input: the checked graph of
//! ```text
//! pub struct Etl { input url: String, page = fetch(url), sum = total(items: page.items) }
//! ```
//! Output (Mermaid; DOT is the same graph):
//! ```text
//! flowchart LR
//!     url[/"url: String"/]
//!     page["page<br/><small>fetch</small>"]
//!     sum["sum<br/><small>total</small>"]
//!     url -->|url| page
//!     page -->|items| sum
//! ```
//! Inputs are parallelograms, nodes are boxes (binding over `#[node]` fn), edges carry
//! the port (and the field, when it differs: `items as xs`). Nodes come in declaration
//! order and edges in port order, so the text is stable and suits snapshot tests.

use std::collections::HashMap;
use std::fmt::Write as _;

use syn::Ident;

use proc_macro2::TokenStream;
use quote::quote;

use super::WorkflowGen;
use crate::workflow::ast::{path_text, ArmRef, Binding, Decision, FanOut, FanOutBody, WorkflowDef};
use crate::workflow::graph::Workflow;

/// The Mermaid flowchart of a workflow: its fan-outs as stacked blocks, its decisions
/// as rhombi with a subgraph per arm, at the top level and inside fan-out bodies alike.
pub(super) fn mermaid(gen: &WorkflowGen<'_>) -> String {
    mermaid_static(gen.w)
}

/// The DOT digraph of a workflow, drawn like [`mermaid`].
fn dot(gen: &WorkflowGen<'_>) -> String {
    dot_static(gen.w)
}

impl WorkflowGen<'_> {
    /// `TOPOLOGICAL_ORDER`, `MERMAID` and `DOT`, computed at compile time.
    pub(super) fn graph_consts(&self) -> TokenStream {
        let topo = self
            .g
            .binding_order()
            .map(|i| self.def.bindings[i].name.to_string());
        let mermaid = mermaid(self);
        let dot = dot(self);
        quote! {
            const TOPOLOGICAL_ORDER: &'static [&'static str] = &[#(#topo),*];
            const MERMAID: &'static str = #mermaid;
            const DOT: &'static str = #dot;
        }
    }
}

/// A Rust type as text, with the spaces `to_token_stream` puts around `<`, `>`, `,`
/// and `::` removed.
pub(super) fn type_text(ty: &syn::Type) -> String {
    quote::ToTokens::to_token_stream(ty)
        .to_string()
        .replace(" < ", "<")
        .replace("< ", "<")
        .replace(" >", ">")
        .replace(" ,", ",")
        .replace(" :: ", "::")
        .replace(":: ", "::")
        .replace(" & ", "&")
        .replace("& ", "&")
}

/// An identifier without its `r#` prefix.
pub(super) fn ident_text(ident: &Ident) -> String {
    let s = ident.to_string();
    match s.strip_prefix("r#") {
        Some(rest) => rest.to_owned(),
        None => s,
    }
}

/// Words Mermaid's flowchart grammar reserves; a node id spelled like one breaks the
/// chart, so it gets a trailing `_` (the label still shows the real name).
const MERMAID_KEYWORDS: &[&str] = &[
    "end",
    "graph",
    "flowchart",
    "subgraph",
    "style",
    "class",
    "classdef",
    "click",
    "call",
    "href",
    "linkstyle",
    "direction",
    "default",
    "interpolate",
];

/// A Mermaid node id for a name.
pub(super) fn mermaid_id(name: &str) -> String {
    if MERMAID_KEYWORDS.contains(&name.to_ascii_lowercase().as_str()) {
        format!("{name}_")
    } else {
        name.to_owned()
    }
}

/// Text inside a quoted Mermaid label: quotes and angle brackets become entity codes,
/// so `Vec<u8>` is not taken for an HTML tag.
pub(super) fn mermaid_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '#' => out.push_str("#35;"),
            c => out.push(c),
        }
    }
    out
}

/// Text inside a quoted DOT string.
pub(super) fn dot_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out
}

/// How one binding is drawn: a node, a sub-workflow, or a fan-out block.
enum Shape<'a> {
    Node,
    /// A binding that runs another workflow (a capitalised path, like `Render`).
    SubWorkflow,
    /// A fan-out: drawn as a block of its own (a subgraph), one run per item.
    FanOut(&'a FanOut),
}

fn shape(b: &Binding) -> Shape<'_> {
    match &b.fan_out {
        Some(f) => Shape::FanOut(f),
        None if is_workflow_path(&b.node) => Shape::SubWorkflow,
        None => Shape::Node,
    }
}

/// Whether a binding's path names a workflow rather than a `#[node]` fn: workflows are
/// types (capitalised), node fns are snake_case. Only the pictures and an edge's error
/// note (`edges.rs`) use this.
pub(super) fn is_workflow_path(path: &syn::Path) -> bool {
    path.segments
        .last()
        .is_some_and(|s| ident_text(&s.ident).starts_with(|c: char| c.is_ascii_uppercase()))
}

/// The bindings of one scope (a workflow, or a fan-out's body) and how their ids are
/// written: `prefix` is empty for the workflow, `thumbs__` inside `thumbs`.
struct Scope<'a> {
    prefix: String,
    bindings: &'a [Binding],
    /// The `match`/`if` decisions of a fan-out's body (drawn as the top level's are:
    /// a rhombus, and a subgraph per arm). Empty for a workflow without decisions.
    decisions: &'a [Decision],
    /// The loop variable of a fan-out's body.
    var: Option<&'a Ident>,
    /// The enclosing scope, where names the body does not declare are found.
    outer: Option<&'a Scope<'a>>,
    /// The indices of each name's definitions, in order: found by name per edge, so a
    /// scan of the bindings per edge was quadratic (most of a 5,000-node workflow's
    /// expansion, where each `Ident` comparison crosses rustc's proc-macro bridge).
    defs: HashMap<String, Vec<usize>>,
}

impl<'a> Scope<'a> {
    fn new(
        prefix: String,
        bindings: &'a [Binding],
        decisions: &'a [Decision],
        var: Option<&'a Ident>,
        outer: Option<&'a Scope<'a>>,
    ) -> Self {
        let mut defs: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, b) in bindings.iter().enumerate() {
            defs.entry(b.name.to_string()).or_default().push(i);
        }
        Scope {
            prefix,
            bindings,
            decisions,
            var,
            outer,
            defs,
        }
    }

    /// The indices of the definitions of `name` in this scope.
    fn defs_of(&self, name: &Ident) -> &[usize] {
        self.defs.get(&name.to_string()).map_or(&[], Vec::as_slice)
    }

    /// The scope of a fan-out's `for` body, inside binding `b` of this scope.
    fn body(&'a self, b: &Binding, f: &'a FanOut) -> Option<Scope<'a>> {
        match &f.body {
            FanOutBody::For {
                var,
                bindings,
                decisions,
                ..
            } => Some(Scope::new(
                format!("{}__", self.id(b)),
                bindings,
                decisions,
                Some(var),
                Some(self),
            )),
            FanOutBody::Map { .. } => None,
        }
    }

    /// The ids edges from the source `name` start at: an input, the loop variable, a
    /// binding (every arm's definition of a merge; a fan-out's collected binding inside
    /// its block), searched outwards.
    fn source_ids(&self, name: &Ident) -> Vec<String> {
        if self.var.is_some_and(|v| v == name) {
            return vec![format!("{}{}", self.prefix, ident_text(name))];
        }
        let defs: Vec<String> = self
            .defs_of(name)
            .iter()
            .flat_map(|&i| self.out_anchors(i, &self.bindings[i]))
            .collect();
        if !defs.is_empty() {
            return defs;
        }
        match self.outer {
            Some(outer) => outer.source_ids(name),
            None => vec![ident_text(name)],
        }
    }

    /// The id of binding `b`'s own box (a fan-out's block): its name, or for a later
    /// arm's definition of a merged name, the name and its index.
    fn id(&self, b: &Binding) -> String {
        let i = self
            .bindings
            .iter()
            .position(|other| std::ptr::eq(other, b))
            .unwrap_or(0);
        self.id_at(i, b)
    }

    fn id_at(&self, i: usize, b: &Binding) -> String {
        let first = self.defs_of(&b.name).first().copied();
        if first.is_none_or(|first| first == i) {
            format!("{}{}", self.prefix, ident_text(&b.name))
        } else {
            format!("{}{}__{i}", self.prefix, ident_text(&b.name))
        }
    }

    /// Where edges out of binding `i` (`b`) start: a fan-out's collected binding (each
    /// definition of it), its mapped workflow's box, another binding's own box.
    fn out_anchors(&self, i: usize, b: &Binding) -> Vec<String> {
        match &b.fan_out {
            Some(f) => match self.body(b, f) {
                Some(inner) => {
                    let FanOutBody::For { result, .. } = &f.body else {
                        return Vec::new();
                    };
                    inner.source_ids(result)
                }
                None => vec![format!("{}__each", self.id_at(i, b))],
            },
            None => vec![self.id_at(i, b)],
        }
    }

    /// The id of decision `d`'s rhombus: `match_t` (or `if_ok`), made unique among the
    /// scope's names by its index when needed (as the router's report name is).
    fn router_id(&self, d: usize) -> String {
        let base = |e: &Decision| format!("{}_{}", e.keyword, e.on.root);
        let name = base(&self.decisions[d]);
        let taken = self.bindings.iter().any(|b| b.name == name)
            || self.var.is_some_and(|v| *v == name)
            || self.decisions[..d].iter().any(|e| base(e) == name);
        if taken {
            format!("{}{name}_{d}", self.prefix)
        } else {
            format!("{}{name}", self.prefix)
        }
    }

    /// The id of arm `arm`'s subgraph: `match_t_arm0`.
    fn arm_id(&self, arm: ArmRef) -> String {
        format!("{}_arm{}", self.router_id(arm.decision), arm.arm)
    }

    /// The decision whose arm around `scope` (innermost first) binds `name` in its
    /// pattern.
    fn pattern_router(&self, scope: &[ArmRef], name: &Ident) -> Option<usize> {
        scope.iter().rev().find_map(|arm| {
            let names = &self.decisions.get(arm.decision)?.arms.get(arm.arm)?.names;
            names.contains(name).then_some(arm.decision)
        })
    }

    /// Where edges into a binding end: a fan-out's loop variable (or its mapped
    /// workflow's box), another binding's own box.
    fn in_anchor(&self, b: &Binding) -> String {
        match &b.fan_out {
            Some(f) => match &f.body {
                FanOutBody::For { var, .. } => format!("{}__{}", self.id(b), ident_text(var)),
                FanOutBody::Map { .. } => format!("{}__each", self.id(b)),
            },
            None => self.id(b),
        }
    }
}

/// What an edge is, for how each format draws it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum EdgeKind {
    /// A port connection, labelled with the port.
    Port,
    /// Into a decision's rhombus from what it matches on: no label.
    Route,
    /// From a decision's rhombus to an arm, labelled with its pattern: Mermaid draws
    /// one edge to the arm's subgraph.
    ArmMermaid,
    /// The same for DOT: one dashed edge to each node right inside the arm.
    ArmDot,
}

/// An edge of one binding, as drawn: from, label, to.
struct Drawn {
    from: String,
    label: String,
    to: String,
    kind: EdgeKind,
}

/// The edges of a scope's bindings, in declaration and port order (a fan-out's ports
/// go to the nodes inside it that use them), then its decisions' edges.
fn scope_edges(scope: &Scope<'_>, out: &mut Vec<Drawn>) {
    for (i, b) in scope.bindings.iter().enumerate() {
        let to = scope.id_at(i, b);
        match &b.fan_out {
            None => {
                for a in &b.args {
                    let root = &a.source.root;
                    if let Some(d) = scope.pattern_router(&b.scope, root) {
                        // A name the arm's pattern binds: it comes from the decision.
                        let port = ident_text(&a.port);
                        let label = if *root == a.port {
                            port
                        } else {
                            format!("{} as {port}", ident_text(root))
                        };
                        out.push(Drawn {
                            from: scope.router_id(d),
                            label,
                            to: to.clone(),
                            kind: EdgeKind::Port,
                        });
                        continue;
                    }
                    for from in scope.source_ids(root) {
                        out.push(Drawn {
                            from,
                            label: arg_label(a),
                            to: to.clone(),
                            kind: EdgeKind::Port,
                        });
                    }
                }
            }
            Some(f) => {
                let items = &b.args[0];
                for from in scope.source_ids(&items.source.root) {
                    out.push(Drawn {
                        from,
                        label: "each".to_owned(),
                        to: scope.in_anchor(b),
                        kind: EdgeKind::Port,
                    });
                }
                if let Some(inner) = scope.body(b, f) {
                    scope_edges(&inner, out);
                }
            }
        }
    }
    decision_edges(scope, out);
}

/// A scope's decisions' edges: what each matches on into its rhombus, and the rhombus
/// to each arm, labelled with the arm's pattern.
fn decision_edges(scope: &Scope<'_>, out: &mut Vec<Drawn>) {
    for (d, decision) in scope.decisions.iter().enumerate() {
        let router = scope.router_id(d);
        let froms = match scope.pattern_router(&decision.scope, &decision.on.root) {
            Some(outer) => vec![scope.router_id(outer)],
            None => scope.source_ids(&decision.on.root),
        };
        for from in froms {
            out.push(Drawn {
                from,
                label: String::new(),
                to: router.clone(),
                kind: EdgeKind::Route,
            });
        }
    }
    for (d, decision) in scope.decisions.iter().enumerate() {
        let router = scope.router_id(d);
        for (a, arm) in decision.arms.iter().enumerate() {
            let here = ArmRef {
                decision: d,
                arm: a,
            };
            out.push(Drawn {
                from: router.clone(),
                label: arm.label.clone(),
                to: scope.arm_id(here),
                kind: EdgeKind::ArmMermaid,
            });
            let mut inside = decision.scope.clone();
            inside.push(here);
            for (i, b) in scope.bindings.iter().enumerate() {
                if b.scope == inside {
                    out.push(Drawn {
                        from: router.clone(),
                        label: arm.label.clone(),
                        to: match &b.fan_out {
                            Some(_) => scope.in_anchor(b),
                            None => scope.id_at(i, b),
                        },
                        kind: EdgeKind::ArmDot,
                    });
                }
            }
            for (e, nested) in scope.decisions.iter().enumerate() {
                if nested.scope == inside {
                    out.push(Drawn {
                        from: router.clone(),
                        label: arm.label.clone(),
                        to: scope.router_id(e),
                        kind: EdgeKind::ArmDot,
                    });
                }
            }
        }
    }
}

/// The label of a port connection as written (the port, or `field as port`).
fn arg_label(a: &crate::workflow::ast::PortArg) -> String {
    let port = ident_text(&a.port);
    if a.source.fields.is_empty() {
        return port;
    }
    let text = a.source.text();
    let field = text.split_once('.').map_or("", |(_, f)| f);
    if port == field {
        port
    } else {
        format!("{field} as {port}")
    }
}

/// The boxes of a scope's bindings in Mermaid, `indent` deep.
fn mermaid_boxes(scope: &Scope<'_>, indent: &str, s: &mut String) {
    mermaid_arm(scope, &[], indent, s);
}

/// The boxes right inside arm `arm` of a scope (its top level for `[]`), each decision
/// there as a rhombus with a subgraph per arm.
fn mermaid_arm(scope: &Scope<'_>, arm: &[ArmRef], indent: &str, s: &mut String) {
    for (i, b) in scope.bindings.iter().enumerate() {
        if b.scope == arm {
            mermaid_box(scope, i, b, indent, s);
        }
    }
    for (d, decision) in scope.decisions.iter().enumerate() {
        if decision.scope != arm {
            continue;
        }
        let _ = writeln!(
            s,
            "{indent}{}{{\"{} {}\"}}",
            mermaid_id(&scope.router_id(d)),
            decision.keyword,
            mermaid_text(&decision.on.text())
        );
        for (a, each) in decision.arms.iter().enumerate() {
            let here = ArmRef {
                decision: d,
                arm: a,
            };
            let _ = writeln!(
                s,
                "{indent}subgraph {}[\"{}\"]",
                mermaid_id(&scope.arm_id(here)),
                mermaid_text(&each.label)
            );
            let mut inner = arm.to_vec();
            inner.push(here);
            mermaid_arm(scope, &inner, &format!("{indent}    "), s);
            let _ = writeln!(s, "{indent}end");
        }
    }
}

/// Binding `i` (`b`) of a scope in Mermaid: a box, or a fan-out's stacked block.
fn mermaid_box(scope: &Scope<'_>, i: usize, b: &Binding, indent: &str, s: &mut String) {
    let name = ident_text(&b.name);
    let id = mermaid_id(&scope.id_at(i, b));
    match shape(b) {
        Shape::Node => {
            let _ = writeln!(
                s,
                "{indent}{id}[\"{}<br/><small>{}</small>\"]",
                mermaid_text(&name),
                mermaid_text(&path_text(&b.node))
            );
        }
        Shape::SubWorkflow => {
            let _ = writeln!(
                s,
                "{indent}{id}[[\"{}<br/><small>workflow {}</small>\"]]",
                mermaid_text(&name),
                mermaid_text(&path_text(&b.node))
            );
        }
        Shape::FanOut(f) => {
            let _ = writeln!(
                s,
                "{indent}subgraph {id}[\"{}<br/><small>{}, one run per item</small>\"]",
                mermaid_text(&name),
                mermaid_text(&f.label())
            );
            let inner_indent = format!("{indent}    ");
            match &f.body {
                FanOutBody::For { var, .. } => {
                    let _ = writeln!(
                        s,
                        "{inner_indent}{}[/\"{}\"/]",
                        mermaid_id(&scope.in_anchor(b)),
                        mermaid_text(&ident_text(var))
                    );
                    if let Some(inner) = scope.body(b, f) {
                        mermaid_boxes(&inner, &inner_indent, s);
                    }
                }
                FanOutBody::Map { workflow } => {
                    let _ = writeln!(
                        s,
                        "{inner_indent}{}[[\"workflow {}\"]]",
                        mermaid_id(&scope.in_anchor(b)),
                        mermaid_text(&path_text(workflow))
                    );
                }
            }
            let _ = writeln!(s, "{indent}end");
            // A stacked block: a double-weight dashed border.
            let _ = writeln!(
                s,
                "{indent}style {id} stroke-width:3px,stroke-dasharray:6 3"
            );
        }
    }
}

/// The graph as a Mermaid flowchart: inputs as parallelograms, nodes as boxes
/// (`binding` over `node_fn`), sub-workflows as subroutine boxes, fan-outs as stacked
/// blocks holding their body (the loop variable as a parallelogram), edges labelled
/// with the port (`each` for a fan-out's list).
fn mermaid_static(w: &Workflow<'_>) -> String {
    let def = w.def;
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
    let scope = top_scope(def);
    mermaid_boxes(&scope, "    ", &mut s);
    let mut edges = Vec::new();
    scope_edges(&scope, &mut edges);
    for e in edges {
        let (from, to) = (mermaid_id(&e.from), mermaid_id(&e.to));
        let label = mermaid_text(&e.label);
        let _ = match e.kind {
            EdgeKind::Port => writeln!(s, "    {from} -->|{label}| {to}"),
            EdgeKind::Route => writeln!(s, "    {from} --> {to}"),
            EdgeKind::ArmMermaid => writeln!(s, "    {from} -->|\"{label}\"| {to}"),
            EdgeKind::ArmDot => Ok(()),
        };
    }
    s
}

fn top_scope(def: &WorkflowDef) -> Scope<'_> {
    Scope::new(String::new(), &def.bindings, &def.decisions, None, None)
}

/// The boxes of a scope's bindings in DOT, `indent` deep (a fan-out is a cluster with
/// a double border).
fn dot_boxes(scope: &Scope<'_>, indent: &str, s: &mut String) {
    dot_arm(scope, &[], indent, s);
}

/// The DOT boxes right inside arm `arm` of a scope (its top level for `[]`), each
/// decision there as a diamond with a cluster per arm.
fn dot_arm(scope: &Scope<'_>, arm: &[ArmRef], indent: &str, s: &mut String) {
    for (i, b) in scope.bindings.iter().enumerate() {
        if b.scope == arm {
            dot_box(scope, i, b, indent, s);
        }
    }
    for (d, decision) in scope.decisions.iter().enumerate() {
        if decision.scope != arm {
            continue;
        }
        let _ = writeln!(
            s,
            "{indent}\"{}\" [shape=diamond, label=\"{} {}\"];",
            dot_text(&scope.router_id(d)),
            decision.keyword,
            dot_text(&decision.on.text())
        );
        for (a, each) in decision.arms.iter().enumerate() {
            let here = ArmRef {
                decision: d,
                arm: a,
            };
            let _ = writeln!(
                s,
                "{indent}subgraph \"cluster_{}\" {{\n{indent}    label=\"{}\";",
                dot_text(&scope.arm_id(here)),
                dot_text(&each.label)
            );
            let mut inner = arm.to_vec();
            inner.push(here);
            dot_arm(scope, &inner, &format!("{indent}    "), s);
            let _ = writeln!(s, "{indent}}}");
        }
    }
}

/// Binding `i` (`b`) of a scope in DOT: a box, or a fan-out's cluster.
fn dot_box(scope: &Scope<'_>, i: usize, b: &Binding, indent: &str, s: &mut String) {
    let name = ident_text(&b.name);
    let id = dot_text(&scope.id_at(i, b));
    match shape(b) {
        Shape::Node => {
            let _ = writeln!(
                s,
                "{indent}\"{id}\" [label=\"{}\\n{}\"];",
                dot_text(&name),
                dot_text(&path_text(&b.node))
            );
        }
        Shape::SubWorkflow => {
            let _ = writeln!(
                s,
                "{indent}\"{id}\" [shape=component, label=\"{}\\nworkflow {}\"];",
                dot_text(&name),
                dot_text(&path_text(&b.node))
            );
        }
        Shape::FanOut(f) => {
            let _ = writeln!(s, "{indent}subgraph \"cluster_{id}\" {{");
            let inner_indent = format!("{indent}    ");
            let _ = writeln!(
                s,
                "{inner_indent}label=\"{}\\n{}, one run per item\"; style=rounded; peripheries=2;",
                dot_text(&name),
                dot_text(&f.label())
            );
            match &f.body {
                FanOutBody::For { var, .. } => {
                    let _ = writeln!(
                        s,
                        "{inner_indent}\"{}\" [shape=parallelogram, label=\"{}\"];",
                        dot_text(&scope.in_anchor(b)),
                        dot_text(&ident_text(var))
                    );
                    if let Some(inner) = scope.body(b, f) {
                        dot_boxes(&inner, &inner_indent, s);
                    }
                }
                FanOutBody::Map { workflow } => {
                    let _ = writeln!(
                        s,
                        "{inner_indent}\"{}\" [shape=component, label=\"workflow {}\"];",
                        dot_text(&scope.in_anchor(b)),
                        dot_text(&path_text(workflow))
                    );
                }
            }
            let _ = writeln!(s, "{indent}}}");
        }
    }
}

/// The graph in Graphviz DOT.
fn dot_static(w: &Workflow<'_>) -> String {
    let def = w.def;
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
    let scope = top_scope(def);
    dot_boxes(&scope, "    ", &mut s);
    let mut edges = Vec::new();
    scope_edges(&scope, &mut edges);
    for e in edges {
        let (from, to) = (dot_text(&e.from), dot_text(&e.to));
        let label = dot_text(&e.label);
        let _ = match e.kind {
            EdgeKind::Port => writeln!(s, "    \"{from}\" -> \"{to}\" [label=\"{label}\"];"),
            EdgeKind::Route => writeln!(s, "    \"{from}\" -> \"{to}\";"),
            EdgeKind::ArmDot => writeln!(
                s,
                "    \"{from}\" -> \"{to}\" [label=\"{label}\", style=dashed];"
            ),
            EdgeKind::ArmMermaid => Ok(()),
        };
    }
    s.push_str("}\n");
    s
}
