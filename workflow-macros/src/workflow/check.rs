//! Graph checks of `workflow!`: names, sources, ports, cycles, options. Every problem
//! becomes a spanned error; all of them are reported together.

use std::collections::HashMap;

use proc_macro2::Span;
use syn::{Attribute, Path};

use super::ast::{Binding, Source, WorkflowDef};
use crate::attrs::{
    crate_path, default_crate, int_value, path_name, positive_duration_value, skip_value,
    str_value, value_expr, PolicyArgs,
};
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

    // A name declared twice resolves to its first declaration (inputs come first), so a
    // duplicate is reported once and causes no follow-on errors.
    let mut input_index: HashMap<String, usize> = HashMap::new();
    let mut duplicate_input = vec![false; def.inputs.len()];
    for (i, x) in def.inputs.iter().enumerate() {
        match input_index.entry(x.name.to_string()) {
            std::collections::hash_map::Entry::Occupied(_) => duplicate_input[i] = true,
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(i);
            }
        }
    }
    let mut node_index: HashMap<String, usize> = HashMap::new();
    for (i, b) in def.bindings.iter().enumerate() {
        let name = b.name.to_string();
        if !input_index.contains_key(&name) {
            node_index.entry(name).or_insert(i);
        }
    }
    let mut all_names: Vec<String> = Vec::new();
    for name in def
        .inputs
        .iter()
        .map(|i| i.name.to_string())
        .chain(def.bindings.iter().map(|b| b.name.to_string()))
    {
        if !all_names.contains(&name) {
            all_names.push(name);
        }
    }

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
                let candidates: Vec<String> = all_names
                    .iter()
                    .filter(|n| b.name != n.as_str())
                    .cloned()
                    .collect();
                errors.error(
                    &arg.source.root,
                    unknown_source_message(&root, &candidates, &arg.port.to_string()),
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
        if input_consumers[k] == 0 && !duplicate_input[k] && !def.bindings.is_empty() {
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
    let msg = format!("unknown source `{root}` for port `{port}`");
    let list = names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if names.is_empty() {
        format!("{msg}; declare it as an input: `input {root}: Type`")
    } else if let Some(best) = closest(root, names) {
        format!("{msg}; did you mean `{best}`? (sources here: {list})")
    } else {
        format!("{msg}; use an input or a node binding of this workflow ({list}), or declare `input {root}: Type`")
    }
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
                    if let Some(d) = positive_duration_value(&meta, errors, "a timeout of zero would fail every run; use a positive duration like \"1s\"")? {
                        options.timeout.get_or_insert(d.value);
                    }
                }
                "deadlock" => {
                    if let Some(d) = positive_duration_value(&meta, errors, "a stall limit of zero would fail every run; use a positive duration like \"5s\"")? {
                        options.deadlock.get_or_insert(d.value);
                    }
                }
                "sequential" => {
                    if !meta.input.is_empty() && !meta.input.peek(syn::Token![,]) {
                        errors.error(&meta.path, "`sequential` takes no value; write just `sequential`");
                        skip_value(&meta)?;
                    }
                    if seen.contains_key("concurrency") {
                        errors.error(&meta.path, "`sequential` means `concurrency = 1`; keep only one of them");
                    }
                    options.concurrency.get_or_insert(1);
                }
                "concurrency" => {
                    let expr = value_expr(&meta)?;
                    match int_value::<u64>(&expr, "expected a number of nodes, like `concurrency = 4`") {
                        Ok((0, span)) => errors.error_at(span, "`concurrency` must be at least 1 (1 runs nodes one at a time)"),
                        Ok((n, _)) => {
                            if seen.contains_key("sequential") {
                                errors.error(&meta.path, "`sequential` means `concurrency = 1`; keep only one of them");
                            }
                            options.concurrency.get_or_insert(n);
                        }
                        Err(e) => errors.push(e),
                    }
                }
                "failure" => {
                    let expr = value_expr(&meta)?;
                    let expected = "expected `failure = \"fail_fast\"` or `failure = \"continue\"`";
                    match str_value(&expr, expected) {
                        Ok(lit) => match lit.value().as_str() {
                            "fail_fast" => options.continue_on_failure = false,
                            "continue" => options.continue_on_failure = true,
                            other => errors.error(
                                &lit,
                                format!("unknown failure policy \"{other}\"; expected \"fail_fast\" or \"continue\""),
                            ),
                        },
                        Err(e) => errors.push(e),
                    }
                }
                "crate" => match crate_path(&meta) {
                    Ok(path) => options.krate = Some(path),
                    Err(e) => errors.push(e),
                },
                _ => {
                    errors.error(
                        &meta.path,
                        format!("unknown `#[workflow]` option `{key}`; expected one of {WORKFLOW_OPTIONS}"),
                    );
                    skip_value(&meta)?;
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
                errors.error(attr, "duplicate `#[output]`; keep only one");
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

    /// The messages of all errors, in order.
    fn messages(src: proc_macro2::TokenStream) -> Vec<String> {
        let def: WorkflowDef = syn::parse2(src).expect("parses");
        let mut errors = Errors::new();
        check(&def, &mut errors);
        errors.messages()
    }

    #[test]
    fn a_name_declared_twice_is_one_error() {
        // `url` resolves to the input, so there is no cycle and no unused input.
        let msgs = messages(quote::quote! {
            struct W { input url: String, url = fetch(url), b = parse(raw: url) }
        });
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        assert!(msgs[0].starts_with("`url` is already an input"), "{msgs:?}");
        let msgs = messages(quote::quote! {
            struct W { input u: u8, a = f(u), a = f(u) }
        });
        assert_eq!(msgs, ["`a` is already a node binding of this workflow; give each input and binding its own name"]);
    }

    #[test]
    fn an_empty_workflow_does_not_also_report_unused_inputs() {
        let msgs = messages(quote::quote! { struct W { input u: u8 } });
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        assert!(msgs[0].contains("at least one node binding"), "{msgs:?}");
    }

    #[test]
    fn unknown_sources_suggest_a_close_name_but_not_the_binding_itself() {
        let msgs = messages(quote::quote! {
            struct W { input url: String, fetch = f(url), parse = g(raw: fetched) }
        });
        assert_eq!(
            msgs,
            ["unknown source `fetched` for port `raw`; did you mean `fetch`? (sources here: `url`, `fetch`)"]
        );
        let msgs = messages(quote::quote! { struct W { a = f(x) } });
        assert_eq!(
            msgs,
            ["unknown source `x` for port `x`; declare it as an input: `input x: Type`"]
        );
    }

    #[test]
    fn every_bad_option_is_reported() {
        let msgs = messages(quote::quote! {
            #[workflow(timeout = "abc", deadlock = 5, concurrency = 0, failure = "ignore", bogus, timeout = "1s")]
            struct W { input u: u8, a = f(u) }
        });
        assert_eq!(msgs.len(), 6, "{msgs:?}");
        assert!(msgs[0].contains("\"abc\" is not a duration"));
        assert!(msgs[1].contains("expected a duration string for `deadlock`"));
        assert!(msgs[2].contains("`concurrency` must be at least 1"));
        assert!(msgs[3].contains("unknown failure policy \"ignore\""));
        assert!(msgs[4].starts_with("unknown `#[workflow]` option `bogus`; expected one of"));
        assert_eq!(msgs[5], "duplicate `timeout` option; keep only one");
    }

    #[test]
    fn valid_options_are_read() {
        let def: WorkflowDef = syn::parse2(quote::quote! {
            #[workflow(timeout = "2s", deadlock = "1.5s", concurrency = 3, failure = "continue")]
            struct W { input u: u8, a = f(u) }
        })
        .expect("parses");
        let mut errors = Errors::new();
        let g = check(&def, &mut errors);
        assert!(errors.is_empty());
        assert_eq!(g.options.timeout, Some(2_000_000_000));
        assert_eq!(g.options.deadlock, Some(1_500_000_000));
        assert_eq!(g.options.concurrency, Some(3));
        assert!(g.options.continue_on_failure);
    }

    #[test]
    fn binding_attributes_are_checked() {
        let msgs = messages(quote::quote! {
            struct W {
                input u: u8,
                #[retries(3)] #[output] #[output] #[timeout = "soon"]
                a = f(u),
            }
        });
        assert_eq!(msgs.len(), 3, "{msgs:?}");
        assert!(msgs[0].starts_with(
            "unknown attribute `#[retries]` on binding `a`; expected one of `#[output]`"
        ));
        assert_eq!(msgs[1], "duplicate `#[output]`; keep only one");
        assert!(msgs[2].contains("\"soon\" is not a duration"));
    }

    #[test]
    fn consumers_are_counted_per_source() {
        let def: WorkflowDef = syn::parse2(quote::quote! {
            struct W { input u: u8, a = f(u), b = g(x: a, y: a.0), #[output] c = h(a, u) }
        })
        .expect("parses");
        let mut errors = Errors::new();
        let g = check(&def, &mut errors);
        assert!(errors.is_empty());
        assert_eq!(g.input_consumers, [2]);
        assert_eq!(g.nodes[0].consumers, 3);
        assert_eq!(g.nodes[0].successors, [1, 2]);
        assert_eq!(g.nodes[1].deps, [0]);
        // `b` is a sink; `c` is a sink and also marked `#[output]`.
        assert!(!g.nodes[0].is_output());
        assert!(g.nodes[1].is_output() && g.nodes[2].is_output());
    }
}
