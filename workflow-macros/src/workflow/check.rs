//! Graph checks of `workflow!`: names, sources, ports, cycles, options. Every problem
//! becomes a spanned error; all of them are reported together.

use std::collections::HashMap;

use proc_macro2::Span;
use syn::{Attribute, LitInt, LitStr, Path};

use super::ast::{Binding, Source, WorkflowDef};
use crate::attrs::{crate_path, default_crate, duration_value, path_name, PolicyArgs};
use crate::errors::Errors;

pub(crate) const WORKFLOW_OPTIONS: &str =
    "`timeout`, `deadlock`, `sequential`, `concurrency`, `failure`, `crate`";
pub(crate) const BINDING_ATTRS: &str =
    "`#[output]`, `#[timeout = \"..\"]`, `#[retry(..)]`, `#[spawn]`, `#[doc = ..]`";

/// `#[workflow(..)]` options.
#[derive(Default)]
pub(crate) struct WorkflowOptions {
    pub(crate) timeout: Option<u64>,
    pub(crate) deadlock: Option<u64>,
    pub(crate) concurrency: Option<u64>,
    pub(crate) continue_on_failure: bool,
    pub(crate) krate: Option<Path>,
}

/// Where an edge's value comes from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum From {
    Input(usize),
    Node(usize),
}

pub(crate) struct Edge {
    pub(crate) port: syn::Ident,
    pub(crate) source: Source,
    pub(crate) from: From,
}

pub(crate) struct NodeInfo {
    pub(crate) policy: PolicyArgs,
    pub(crate) keep_output: bool,
    pub(crate) docs: Vec<Attribute>,
    pub(crate) edges: Vec<Edge>,
    /// Distinct upstream nodes.
    pub(crate) deps: Vec<usize>,
    /// Distinct downstream nodes.
    pub(crate) successors: Vec<usize>,
    /// Ports fed by this node's output (plus one if it is kept as an output).
    pub(crate) consumers: u32,
}

impl NodeInfo {
    pub(crate) fn is_output(&self) -> bool {
        self.keep_output || self.consumers == 0
    }
}

/// A workflow that passed every check.
pub(crate) struct Graph {
    pub(crate) options: WorkflowOptions,
    pub(crate) other_attrs: Vec<Attribute>,
    pub(crate) nodes: Vec<NodeInfo>,
    pub(crate) input_consumers: Vec<u32>,
    /// Binding indices in a topological order (declaration order among ready nodes).
    pub(crate) topo: Vec<usize>,
}

pub(crate) fn check(def: &WorkflowDef, errors: &mut Errors) -> Graph {
    let (options, other_attrs) = parse_options(&def.attrs, errors);

    // Names: inputs and bindings share one namespace.
    let mut names: HashMap<String, (Span, bool)> = HashMap::new();
    for input in &def.inputs {
        declare(&mut names, &input.name, true, errors);
        for attr in &input.attrs {
            if !attr.path().is_ident("doc") {
                errors.error(attr, "inputs take only doc comments");
            }
        }
    }
    for b in &def.bindings {
        declare(&mut names, &b.name, false, errors);
    }
    if def.bindings.is_empty() {
        errors.error_at(
            def.brace_span,
            "a workflow needs at least one node binding, like `out = my_node(input)`",
        );
    }

    let input_index: HashMap<String, usize> = def
        .inputs
        .iter()
        .enumerate()
        .map(|(i, x)| (x.name.to_string(), i))
        .collect();
    let node_index: HashMap<String, usize> = def
        .bindings
        .iter()
        .enumerate()
        .map(|(i, b)| (b.name.to_string(), i))
        .collect();
    let all_names: Vec<String> = def
        .inputs
        .iter()
        .map(|i| i.name.to_string())
        .chain(def.bindings.iter().map(|b| b.name.to_string()))
        .collect();

    let mut nodes: Vec<NodeInfo> = Vec::with_capacity(def.bindings.len());
    let mut input_consumers = vec![0u32; def.inputs.len()];
    for b in &def.bindings {
        let (policy, keep_output, docs) = parse_binding_attrs(b, errors);
        let mut edges = Vec::new();
        let mut seen_ports: HashMap<String, Span> = HashMap::new();
        for arg in &b.args {
            let port = arg.port.to_string();
            if seen_ports.insert(port.clone(), arg.port.span()).is_some() {
                errors.error(
                    &arg.port,
                    format!(
                        "port `{port}` of `{}` is connected twice; connect each port once",
                        b.name
                    ),
                );
                continue;
            }
            let root = arg.source.root.to_string();
            let from = if let Some(&j) = node_index.get(&root) {
                From::Node(j)
            } else if let Some(&i) = input_index.get(&root) {
                From::Input(i)
            } else {
                errors.error(
                    &arg.source.root,
                    unknown_source_message(&root, &all_names, &arg.port.to_string()),
                );
                continue;
            };
            edges.push(super::check::Edge {
                port: arg.port.clone(),
                source: arg.source.clone(),
                from,
            });
        }
        nodes.push(NodeInfo {
            policy,
            keep_output,
            docs,
            edges,
            deps: Vec::new(),
            successors: Vec::new(),
            consumers: 0,
        });
    }

    // Dependencies, successors and consumer counts.
    for i in 0..nodes.len() {
        let froms: Vec<From> = nodes[i].edges.iter().map(|e| e.from).collect();
        for from in froms {
            match from {
                From::Input(k) => input_consumers[k] += 1,
                From::Node(j) => {
                    nodes[j].consumers += 1;
                    if !nodes[i].deps.contains(&j) {
                        nodes[i].deps.push(j);
                        nodes[j].successors.push(i);
                    }
                }
            }
        }
    }
    for n in &mut nodes {
        if n.keep_output {
            n.consumers += 1;
        }
    }
    for (k, input) in def.inputs.iter().enumerate() {
        if input_consumers[k] == 0 {
            errors.error(
                &input.name,
                format!(
                    "input `{0}` is not used by any node; connect it (e.g. `node_fn({0})`) or remove it",
                    input.name
                ),
            );
        }
    }

    report_cycles(def, &nodes, errors);
    let topo = topological_order(&nodes);
    Graph {
        options,
        other_attrs,
        nodes,
        input_consumers,
        topo,
    }
}

fn declare(
    names: &mut HashMap<String, (Span, bool)>,
    ident: &syn::Ident,
    is_input: bool,
    errors: &mut Errors,
) {
    let name = ident.to_string();
    if let Some((_, first_is_input)) = names.get(&name) {
        let first = if *first_is_input {
            "an input"
        } else {
            "a node binding"
        };
        errors.error(
            ident,
            format!("`{name}` is already {first} of this workflow; give each input and binding its own name"),
        );
    } else {
        names.insert(name, (ident.span(), is_input));
    }
}

fn unknown_source_message(root: &str, names: &[String], port: &str) -> String {
    let mut msg = format!("unknown source `{root}` for port `{port}`");
    if let Some(best) = closest(root, names) {
        msg.push_str(&format!("; did you mean `{best}`?"));
    } else if names.is_empty() {
        msg.push_str("; declare it as an input: `input ");
        msg.push_str(root);
        msg.push_str(": Type`");
        return msg;
    }
    msg.push_str(&format!(
        " (a source is an input or a node binding of this workflow: {}; to take it from outside, declare `input {root}: Type`)",
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    msg
}

/// The most similar name, if any is close enough.
fn closest<'a>(word: &str, names: &'a [String]) -> Option<&'a str> {
    names
        .iter()
        .map(|n| (edit_distance(word, n), n))
        .filter(|(d, n)| *d <= (n.len().max(word.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n.as_str())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Reports each cycle once, on the edge that closes it, printing the whole loop.
fn report_cycles(def: &WorkflowDef, nodes: &[NodeInfo], errors: &mut Errors) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let mut mark = vec![Mark::New; nodes.len()];
    let mut stack: Vec<usize> = Vec::new();

    fn visit(
        i: usize,
        def: &WorkflowDef,
        nodes: &[NodeInfo],
        mark: &mut Vec<Mark>,
        stack: &mut Vec<usize>,
        errors: &mut Errors,
    ) {
        mark[i] = Mark::Active;
        stack.push(i);
        // Follow edges in the data direction: from producer `i` to its consumers.
        for (c, consumer) in nodes.iter().enumerate() {
            for edge in consumer.edges.iter().filter(|e| e.from == From::Node(i)) {
                match mark[c] {
                    Mark::Active => {
                        let pos = stack.iter().position(|&s| s == c).unwrap_or(0);
                        let mut names: Vec<String> = stack[pos..]
                            .iter()
                            .map(|&s| def.bindings[s].name.to_string())
                            .collect();
                        names.push(def.bindings[c].name.to_string());
                        errors.error_at(
                            edge.source.span(),
                            format!(
                                "cycle in workflow `{}`: {}; a workflow must be acyclic, so remove one of these connections (this one, `{} -> {}.{}`, closes the loop)",
                                def.name,
                                names.join(" -> "),
                                edge.source.text(),
                                def.bindings[c].name,
                                edge.port,
                            ),
                        );
                    }
                    Mark::New => visit(c, def, nodes, mark, stack, errors),
                    Mark::Done => {}
                }
            }
        }
        stack.pop();
        mark[i] = Mark::Done;
    }

    for i in 0..nodes.len() {
        if mark[i] == Mark::New {
            visit(i, def, nodes, &mut mark, &mut stack, errors);
        }
    }
}

/// Kahn's algorithm, smallest declaration index first. Nodes on cycles are appended
/// at the end (only reached when errors are reported anyway).
fn topological_order(nodes: &[NodeInfo]) -> Vec<usize> {
    let mut deps: Vec<usize> = nodes.iter().map(|n| n.deps.len()).collect();
    let mut ready: std::collections::BTreeSet<usize> =
        (0..nodes.len()).filter(|&i| deps[i] == 0).collect();
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

fn parse_options(attrs: &[Attribute], errors: &mut Errors) -> (WorkflowOptions, Vec<Attribute>) {
    let mut options = WorkflowOptions::default();
    let mut other = Vec::new();
    let mut seen_attr = false;
    for attr in attrs {
        if !attr.path().is_ident("workflow") {
            other.push(attr.clone());
            continue;
        }
        if seen_attr {
            errors.error(
                attr,
                "duplicate `#[workflow(..)]` attribute; put all options in one",
            );
        }
        seen_attr = true;
        let mut seen: HashMap<String, ()> = HashMap::new();
        let result = attr.parse_nested_meta(|meta| {
            let key = path_name(&meta.path);
            if seen.insert(key.clone(), ()).is_some() {
                errors.error(&meta.path, format!("duplicate `{key}` option; keep only one"));
            }
            match key.as_str() {
                "timeout" => {
                    let d = duration_value(&meta)?;
                    if d.value == 0 {
                        return Err(syn::Error::new(d.span, "a timeout of zero would fail every run; use a positive duration like \"1s\""));
                    }
                    options.timeout = Some(d.value);
                }
                "deadlock" => {
                    let d = duration_value(&meta)?;
                    if d.value == 0 {
                        return Err(syn::Error::new(d.span, "a stall limit of zero would fail every run; use a positive duration like \"5s\""));
                    }
                    options.deadlock = Some(d.value);
                }
                "sequential" => {
                    if meta.input.peek(syn::Token![=]) {
                        return Err(meta.error("`sequential` takes no value; write just `sequential`"));
                    }
                    options.concurrency = Some(1);
                }
                "concurrency" => {
                    let lit: LitInt = meta.value()?.parse().map_err(|e| {
                        syn::Error::new(e.span(), "expected a number of nodes, like `concurrency = 4`")
                    })?;
                    let n: u64 = lit.base10_parse()?;
                    if n == 0 {
                        return Err(syn::Error::new(lit.span(), "`concurrency` must be at least 1 (1 runs nodes one at a time)"));
                    }
                    options.concurrency = Some(n);
                }
                "failure" => {
                    let lit: LitStr = meta.value()?.parse().map_err(|e| {
                        syn::Error::new(e.span(), "expected `failure = \"fail_fast\"` or `failure = \"continue\"`")
                    })?;
                    match lit.value().as_str() {
                        "fail_fast" => options.continue_on_failure = false,
                        "continue" => options.continue_on_failure = true,
                        other => {
                            return Err(syn::Error::new(
                                lit.span(),
                                format!("unknown failure policy \"{other}\"; expected \"fail_fast\" or \"continue\""),
                            ))
                        }
                    }
                }
                "crate" => options.krate = Some(crate_path(&meta)?),
                _ => {
                    return Err(meta.error(format!(
                        "unknown `#[workflow]` option `{key}`; expected one of {WORKFLOW_OPTIONS}"
                    )))
                }
            }
            Ok(())
        });
        if let Err(e) = result {
            errors.push(e);
        }
    }
    (options, other)
}

fn parse_binding_attrs(b: &Binding, errors: &mut Errors) -> (PolicyArgs, bool, Vec<Attribute>) {
    let mut policy = PolicyArgs::default();
    let mut keep = false;
    let mut docs = Vec::new();
    for attr in &b.attrs {
        if attr.path().is_ident("doc") {
            docs.push(attr.clone());
            continue;
        }
        if attr.path().is_ident("output") {
            if !matches!(attr.meta, syn::Meta::Path(_)) {
                errors.error(attr, "`#[output]` takes no arguments");
            }
            if keep {
                errors.error(attr, "duplicate `#[output]`");
            }
            keep = true;
            continue;
        }
        let known = ["timeout", "retry", "spawn"]
            .iter()
            .any(|k| attr.path().is_ident(k));
        if !known {
            errors.error(
                attr.path(),
                format!(
                    "unknown attribute `#[{}]` on binding `{}`; expected one of {BINDING_ATTRS}",
                    path_name(attr.path()),
                    b.name
                ),
            );
            continue;
        }
        // Re-parse `timeout = ".."`, `retry(..)` or `spawn` with the `#[node]` option parser.
        let tokens = quote::ToTokens::to_token_stream(&attr.meta);
        let result = syn::parse::Parser::parse2(
            syn::meta::parser(|meta| {
                if policy.parse_option(&meta, errors)? {
                    Ok(())
                } else {
                    Err(meta.error("expected a policy"))
                }
            }),
            tokens,
        );
        if let Err(e) = result {
            errors.push(e);
        }
    }
    (policy, keep, docs)
}

/// The runtime crate path for this workflow.
pub(crate) fn crate_of(options: &WorkflowOptions) -> Path {
    options.krate.clone().unwrap_or_else(default_crate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_suggests_close_names() {
        let names = vec!["fetch".to_string(), "parse".to_string(), "url".to_string()];
        assert_eq!(closest("fech", &names), Some("fetch"));
        assert_eq!(closest("zzzzzz", &names), None);
    }

    fn graph_of(src: proc_macro2::TokenStream) -> (Option<Graph>, String) {
        let def: WorkflowDef = syn::parse2(src).expect("parses");
        let mut errors = Errors::new();
        let g = check(&def, &mut errors);
        let msg = errors.to_compile_errors().to_string();
        (Some(g), msg)
    }

    #[test]
    fn cycle_is_printed() {
        let (_, msg) = graph_of(quote::quote! {
            struct W { a = f(x: c), b = g(x: a), c = h(x: b) }
        });
        assert!(msg.contains("a -> b -> c -> a"), "{msg}");
    }

    #[test]
    fn topological_order_respects_edges() {
        let (g, msg) = graph_of(quote::quote! {
            struct W { input u: u8, c = h(x: b), a = f(u), b = g(x: a) }
        });
        assert!(msg.is_empty(), "{msg}");
        assert_eq!(g.map(|g| g.topo), Some(vec![1, 2, 0]));
    }

    #[test]
    fn duplicate_and_unknown_names_are_all_reported() {
        let (_, msg) = graph_of(quote::quote! {
            struct W { input u: u8, input v: u8, a = f(u), a = g(x: zz), b = h(x: a, x: a) }
        });
        assert!(msg.contains("already a node binding"), "{msg}");
        assert!(msg.contains("unknown source `zz`"), "{msg}");
        assert!(msg.contains("connected twice"), "{msg}");
        assert!(msg.contains("input `v` is not used"), "{msg}");
    }
}
