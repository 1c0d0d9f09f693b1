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

use std::fmt::Write as _;

use syn::Ident;

use proc_macro2::TokenStream;
use quote::quote;

use super::WorkflowGen;
use crate::workflow::ast::{path_text, Binding, FanOut, FanOutBody, WorkflowDef};
use crate::workflow::graph::Workflow;

/// The Mermaid flowchart of a workflow (its fan-outs as stacked blocks, or, with
/// decisions, its arms as subgraphs: see `render_arms`).
pub(super) fn mermaid(gen: &WorkflowGen<'_>) -> String {
    if gen.def.decisions.is_empty() {
        mermaid_static(gen.w)
    } else {
        super::render_arms::mermaid(gen)
    }
}

/// The DOT digraph of a workflow, drawn like [`mermaid`].
fn dot(gen: &WorkflowGen<'_>) -> String {
    if gen.def.decisions.is_empty() {
        dot_static(gen.w)
    } else {
        super::render_arms::dot(gen)
    }
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
/// types (capitalised), node fns are snake_case. Only the pictures use this.
fn is_workflow_path(path: &syn::Path) -> bool {
    path.segments
        .last()
        .is_some_and(|s| ident_text(&s.ident).starts_with(|c: char| c.is_ascii_uppercase()))
}

/// The bindings of one scope (a workflow, or a fan-out's body) and how their ids are
/// written: `prefix` is empty for the workflow, `thumbs__` inside `thumbs`.
struct Scope<'a> {
    prefix: String,
    bindings: &'a [Binding],
    /// The loop variable of a fan-out's body.
    var: Option<&'a Ident>,
    /// The enclosing scope, where names the body does not declare are found.
    outer: Option<&'a Scope<'a>>,
}

impl Scope<'_> {
    /// The id edges from the source `name` start at: an input, the loop variable, a
    /// binding (a fan-out's collected binding inside its block), searched outwards.
    fn source_id(&self, name: &Ident) -> String {
        if self.var.is_some_and(|v| v == name) {
            return format!("{}{}", self.prefix, ident_text(name));
        }
        if let Some(b) = self.bindings.iter().find(|b| b.name == *name) {
            return self.out_anchor(b);
        }
        match self.outer {
            Some(outer) => outer.source_id(name),
            None => ident_text(name),
        }
    }

    /// The id of a binding's own box (a fan-out's block).
    fn id(&self, b: &Binding) -> String {
        format!("{}{}", self.prefix, ident_text(&b.name))
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

    /// Where edges out of a binding start: a fan-out's collected binding (or its mapped
    /// workflow's box), another binding's own box.
    fn out_anchor(&self, b: &Binding) -> String {
        match &b.fan_out {
            Some(f) => match &f.body {
                FanOutBody::For { result, .. } => {
                    format!("{}__{}", self.id(b), ident_text(result))
                }
                FanOutBody::Map { .. } => format!("{}__each", self.id(b)),
            },
            None => self.id(b),
        }
    }
}

/// An edge of one binding, as drawn: from, label, to.
struct Drawn {
    from: String,
    label: String,
    to: String,
}

/// The edges of a scope's bindings, in declaration and port order; a fan-out's ports
/// go to the nodes inside it that use them.
fn scope_edges(scope: &Scope<'_>, out: &mut Vec<Drawn>) {
    for b in scope.bindings {
        match &b.fan_out {
            None => {
                for a in &b.args {
                    out.push(Drawn {
                        from: scope.source_id(&a.source.root),
                        label: arg_label(a),
                        to: scope.id(b),
                    });
                }
            }
            Some(f) => {
                let items = &b.args[0];
                out.push(Drawn {
                    from: scope.source_id(&items.source.root),
                    label: "each".to_owned(),
                    to: scope.in_anchor(b),
                });
                if let FanOutBody::For { var, bindings, .. } = &f.body {
                    let inner = Scope {
                        prefix: format!("{}__", scope.id(b)),
                        bindings,
                        var: Some(var),
                        outer: Some(scope),
                    };
                    scope_edges(&inner, out);
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
    for b in scope.bindings {
        let name = ident_text(&b.name);
        let id = mermaid_id(&scope.id(b));
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
                    FanOutBody::For { var, bindings, .. } => {
                        let inner = Scope {
                            prefix: format!("{}__", scope.id(b)),
                            bindings,
                            var: Some(var),
                            outer: Some(scope),
                        };
                        let _ = writeln!(
                            s,
                            "{inner_indent}{}[/\"{}\"/]",
                            mermaid_id(&scope.in_anchor(b)),
                            mermaid_text(&ident_text(var))
                        );
                        mermaid_boxes(&inner, &inner_indent, s);
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
        let _ = writeln!(
            s,
            "    {} -->|{}| {}",
            mermaid_id(&e.from),
            mermaid_text(&e.label),
            mermaid_id(&e.to)
        );
    }
    s
}

fn top_scope(def: &WorkflowDef) -> Scope<'_> {
    Scope {
        prefix: String::new(),
        bindings: &def.bindings,
        var: None,
        outer: None,
    }
}

/// The boxes of a scope's bindings in DOT, `indent` deep (a fan-out is a cluster with
/// a double border).
fn dot_boxes(scope: &Scope<'_>, indent: &str, s: &mut String) {
    for b in scope.bindings {
        let name = ident_text(&b.name);
        let id = dot_text(&scope.id(b));
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
                    FanOutBody::For { var, bindings, .. } => {
                        let inner = Scope {
                            prefix: format!("{}__", scope.id(b)),
                            bindings,
                            var: Some(var),
                            outer: Some(scope),
                        };
                        let _ = writeln!(
                            s,
                            "{inner_indent}\"{}\" [shape=parallelogram, label=\"{}\"];",
                            dot_text(&scope.in_anchor(b)),
                            dot_text(&ident_text(var))
                        );
                        dot_boxes(&inner, &inner_indent, s);
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
        let _ = writeln!(
            s,
            "    \"{}\" -> \"{}\" [label=\"{}\"];",
            dot_text(&e.from),
            dot_text(&e.to),
            dot_text(&e.label)
        );
    }
    s.push_str("}\n");
    s
}
