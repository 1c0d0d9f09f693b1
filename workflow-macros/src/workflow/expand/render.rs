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
use crate::workflow::ast::{path_text, WorkflowDef};
use crate::workflow::graph::Workflow;
use crate::workflow::resolve::{Edge, Origin};

impl WorkflowGen<'_> {
    /// `TOPOLOGICAL_ORDER`, `MERMAID` and `DOT`, computed at compile time.
    pub(super) fn graph_consts(&self) -> TokenStream {
        let topo = self
            .g
            .topo
            .iter()
            .map(|&i| self.def.bindings[i].name.to_string());
        let mermaid = mermaid(self.w);
        let dot = dot(self.w);
        quote! {
            const TOPOLOGICAL_ORDER: &'static [&'static str] = &[#(#topo),*];
            const MERMAID: &'static str = #mermaid;
            const DOT: &'static str = #dot;
        }
    }
}

/// A Rust type as text, with the spaces `to_token_stream` puts around `<`, `>`, `,`
/// and `::` removed.
fn type_text(ty: &syn::Type) -> String {
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
fn ident_text(ident: &Ident) -> String {
    let s = ident.to_string();
    match s.strip_prefix("r#") {
        Some(rest) => rest.to_owned(),
        None => s,
    }
}

/// The label of an edge: the port, or `field as port` when a field of an output feeds
/// a port of another name.
fn edge_label(e: &Edge) -> String {
    let port = ident_text(&e.port);
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

/// The name of an edge's source: a workflow input or a node binding.
fn source_name(def: &WorkflowDef, from: Origin) -> String {
    match from {
        Origin::Input(k) => ident_text(&def.inputs[k].name),
        Origin::Node(j) => ident_text(&def.bindings[j].name),
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
fn mermaid_id(name: &str) -> String {
    if MERMAID_KEYWORDS.contains(&name.to_ascii_lowercase().as_str()) {
        format!("{name}_")
    } else {
        name.to_owned()
    }
}

/// Text inside a quoted Mermaid label: quotes and angle brackets become entity codes,
/// so `Vec<u8>` is not taken for an HTML tag.
fn mermaid_text(s: &str) -> String {
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
fn dot_text(s: &str) -> String {
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

/// The graph as a Mermaid flowchart: inputs as parallelograms, nodes as boxes
/// (`binding` over `node_fn`), edges labelled with the port.
pub(super) fn mermaid(w: &Workflow<'_>) -> String {
    let (def, g) = (w.def, &w.graph);
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
    for b in &def.bindings {
        let name = ident_text(&b.name);
        let _ = writeln!(
            s,
            "    {}[\"{}<br/><small>{}</small>\"]",
            mermaid_id(&name),
            mermaid_text(&name),
            mermaid_text(&path_text(&b.node))
        );
    }
    for (i, n) in g.nodes.iter().enumerate() {
        for e in &n.edges {
            let _ = writeln!(
                s,
                "    {} -->|{}| {}",
                mermaid_id(&source_name(def, e.from)),
                mermaid_text(&edge_label(e)),
                mermaid_id(&ident_text(&def.bindings[i].name))
            );
        }
    }
    s
}

/// The graph in Graphviz DOT.
fn dot(w: &Workflow<'_>) -> String {
    let (def, g) = (w.def, &w.graph);
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
    for b in &def.bindings {
        let name = ident_text(&b.name);
        let _ = writeln!(
            s,
            "    \"{}\" [label=\"{}\\n{}\"];",
            dot_text(&name),
            dot_text(&name),
            dot_text(&path_text(&b.node))
        );
    }
    for (i, n) in g.nodes.iter().enumerate() {
        for e in &n.edges {
            let _ = writeln!(
                s,
                "    \"{}\" -> \"{}\" [label=\"{}\"];",
                dot_text(&source_name(def, e.from)),
                dot_text(&ident_text(&def.bindings[i].name)),
                dot_text(&edge_label(e))
            );
        }
    }
    s.push_str("}\n");
    s
}
