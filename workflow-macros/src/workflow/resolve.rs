//! Name resolution of `workflow!`: the one namespace of inputs and bindings, and what
//! each port connection refers to. Produces the edges of every binding; the graph
//! checks (cycles, unused inputs, ..) are in `check.rs`.

use std::collections::{HashMap, HashSet};

use syn::Ident;

use super::ast::{Binding, PortArg, WorkflowDef};
use crate::internals::suggest::{closest, list};
use crate::internals::Ctxt;

/// What a source's root name refers to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Origin {
    /// The workflow input of this index.
    Input(usize),
    /// The output of the binding of this index.
    Node(usize),
}

/// A resolved port connection: `port: source`, where the source's root is `from`.
pub(crate) struct Edge {
    pub(crate) port: Ident,
    pub(crate) source: super::ast::Source,
    pub(crate) from: Origin,
}

/// Inputs and bindings share one namespace. A name declared twice resolves to its first
/// declaration (inputs come first), so a duplicate is reported once and causes no
/// follow-on errors.
pub(crate) struct Namespace {
    inputs: HashMap<String, usize>,
    nodes: HashMap<String, usize>,
    /// Every distinct name, in declaration order (inputs first), for suggestions.
    names: Vec<String>,
    /// Inputs that repeat an earlier name.
    duplicate_inputs: Vec<bool>,
}

impl Namespace {
    pub(crate) fn is_duplicate_input(&self, index: usize) -> bool {
        self.duplicate_inputs[index]
    }

    /// Whether `name` is an input or a binding.
    pub(crate) fn knows(&self, name: &str) -> bool {
        self.lookup(name).is_some()
    }

    fn lookup(&self, name: &str) -> Option<Origin> {
        // A binding named like an input is not declared (see `declare_names`).
        self.nodes
            .get(name)
            .map(|&j| Origin::Node(j))
            .or_else(|| self.inputs.get(name).map(|&i| Origin::Input(i)))
    }
}

/// Declares every input and binding, reporting names declared twice.
pub(crate) fn declare_names(cx: &Ctxt, def: &WorkflowDef) -> Namespace {
    let mut first_is_input: HashMap<String, bool> = HashMap::new();
    let declared = def
        .inputs
        .iter()
        .map(|i| (&i.name, true))
        .chain(def.bindings.iter().map(|b| (&b.name, false)));
    for (ident, is_input) in declared {
        let name = ident.to_string();
        match first_is_input.get(&name) {
            Some(&first) => {
                let first = if first { "an input" } else { "a node binding" };
                cx.error_spanned_by(
                    ident,
                    format!("`{name}` is already {first} of this workflow; give each input and binding its own name"),
                );
            }
            None => {
                first_is_input.insert(name, is_input);
            }
        }
    }

    let mut inputs = HashMap::new();
    let mut duplicate_inputs = Vec::with_capacity(def.inputs.len());
    for (i, input) in def.inputs.iter().enumerate() {
        let name = input.name.to_string();
        let is_duplicate = inputs.contains_key(&name);
        if !is_duplicate {
            inputs.insert(name, i);
        }
        duplicate_inputs.push(is_duplicate);
    }
    let mut nodes = HashMap::new();
    for (i, b) in def.bindings.iter().enumerate() {
        let name = b.name.to_string();
        if !inputs.contains_key(&name) {
            nodes.entry(name).or_insert(i);
        }
    }
    let mut names = Vec::new();
    let mut seen = HashSet::new();
    for name in def
        .inputs
        .iter()
        .map(|i| i.name.to_string())
        .chain(def.bindings.iter().map(|b| b.name.to_string()))
    {
        if seen.insert(name.clone()) {
            names.push(name);
        }
    }
    Namespace {
        inputs,
        nodes,
        names,
        duplicate_inputs,
    }
}

/// Resolves the port connections of every binding into edges (one list per binding).
pub(crate) fn resolve_edges(cx: &Ctxt, def: &WorkflowDef, ns: &Namespace) -> Vec<Vec<Edge>> {
    def.bindings
        .iter()
        .map(|b| resolve_binding(cx, b, ns))
        .collect()
}

/// Each port is connected once and its source is declared. A port connected again, or
/// to an unknown source, gets no edge.
fn resolve_binding(cx: &Ctxt, b: &Binding, ns: &Namespace) -> Vec<Edge> {
    let mut edges = Vec::new();
    let mut connected = HashSet::new();
    for arg in &b.args {
        if !connected.insert(arg.port.to_string()) {
            cx.error_spanned_by(
                &arg.port,
                format!(
                    "port `{}` of `{}` is connected twice; connect each port once",
                    arg.port, b.name
                ),
            );
            continue;
        }
        if let Some(from) = resolve_source(cx, b, arg, ns) {
            edges.push(Edge {
                port: arg.port.clone(),
                source: arg.source.clone(),
                from,
            });
        }
    }
    edges
}

/// What the root of `arg`'s source names; an unknown one is reported with a suggestion.
fn resolve_source(cx: &Ctxt, b: &Binding, arg: &PortArg, ns: &Namespace) -> Option<Origin> {
    let root = arg.source.root.to_string();
    let found = ns.lookup(&root);
    if found.is_none() {
        // A binding cannot consume itself, so its own name is no suggestion.
        let candidates: Vec<String> = ns
            .names
            .iter()
            .filter(|n| b.name != n.as_str())
            .cloned()
            .collect();
        cx.error_spanned_by(
            &arg.source.root,
            unknown_source_message(&root, &candidates, &arg.port.to_string()),
        );
    }
    found
}

fn unknown_source_message(root: &str, names: &[String], port: &str) -> String {
    let msg = format!("unknown source `{root}` for port `{port}`");
    if names.is_empty() {
        format!("{msg}; declare it as an input: `input {root}: Type`")
    } else if let Some(best) = closest(root, names) {
        format!(
            "{msg}; did you mean `{best}`? (sources here: {})",
            list(names)
        )
    } else {
        format!(
            "{msg}; use an input or a node binding of this workflow ({}), or declare `input {root}: Type`",
            list(names)
        )
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    /// The messages of name resolution alone, for a workflow that parses.
    fn messages(src: proc_macro2::TokenStream) -> Vec<String> {
        let cx = Ctxt::new();
        let def = WorkflowDef::parse(&cx, src).expect("parses");
        let ns = declare_names(&cx, &def);
        resolve_edges(&cx, &def, &ns);
        cx.messages()
    }

    #[test]
    fn a_name_declared_twice_is_one_error() {
        // `url` resolves to the input, so `b` reads the input and nothing else fails.
        assert_eq!(
            messages(quote! {
                struct W { input url: String, url = fetch(url), b = parse(raw: url) }
            }),
            ["`url` is already an input of this workflow; give each input and binding its own name"]
        );
        assert_eq!(
            messages(quote! { struct W { input u: u8, a = f(u), a = f(u) } }),
            ["`a` is already a node binding of this workflow; give each input and binding its own name"]
        );
    }

    #[test]
    fn duplicates_resolve_to_the_first_declaration() {
        let cx = Ctxt::new();
        let def = WorkflowDef::parse(
            &cx,
            quote! { struct W { input u: u8, input u: u16, a = f(u), a = g(x: a), b = h(x: a) } },
        )
        .expect("parses");
        let ns = declare_names(&cx, &def);
        let edges = resolve_edges(&cx, &def, &ns);
        assert!(!ns.is_duplicate_input(0) && ns.is_duplicate_input(1));
        assert_eq!(edges[0][0].from, Origin::Input(0));
        assert_eq!(edges[1][0].from, Origin::Node(0));
        assert_eq!(edges[2][0].from, Origin::Node(0));
    }

    #[test]
    fn unknown_sources_suggest_a_close_name_but_not_the_binding_itself() {
        assert_eq!(
            messages(quote! {
                struct W { input url: String, fetch = f(url), parse = g(raw: fetched) }
            }),
            ["unknown source `fetched` for port `raw`; did you mean `fetch`? (sources here: `url`, `fetch`)"]
        );
        assert_eq!(
            messages(quote! { struct W { a = f(x) } }),
            ["unknown source `x` for port `x`; declare it as an input: `input x: Type`"]
        );
        assert_eq!(
            messages(quote! { struct W { input url: String, a = f(zzz: qqq) } }),
            ["unknown source `qqq` for port `zzz`; use an input or a node binding of this workflow (`url`), or declare `input qqq: Type`"]
        );
    }

    #[test]
    fn a_port_connected_twice_keeps_its_first_edge() {
        let cx = Ctxt::new();
        let def = WorkflowDef::parse(
            &cx,
            quote! { struct W { input u: u8, input v: u8, a = f(x: u, x: v) } },
        )
        .expect("parses");
        let ns = declare_names(&cx, &def);
        let edges = resolve_edges(&cx, &def, &ns);
        assert_eq!(
            cx.messages(),
            ["port `x` of `a` is connected twice; connect each port once"]
        );
        assert_eq!(edges[0].len(), 1);
        assert_eq!(edges[0][0].from, Origin::Input(0));
    }
}
