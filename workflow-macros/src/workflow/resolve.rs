//! Name resolution of `workflow!`: the one namespace of inputs and bindings, and what
//! each port connection refers to. Produces the edges of every binding; the graph
//! checks (cycles, unused inputs, ..) are in `check.rs`.

use std::collections::{HashMap, HashSet};

use syn::Ident;

use super::ast::{exclusive, ArmRef, Binding, PortArg, Source, WorkflowDef};
use crate::internals::suggest::{closest, list};
use crate::internals::Ctxt;

/// What a source's root name refers to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Origin {
    /// The workflow input of this index.
    Input(usize),
    /// The output of the binding of this index (for a binding defined in several arms,
    /// a merge, its first definition, which owns the one slot).
    Node(usize),
    /// A name bound by the pattern of an arm (`o` in `Triage::Small(o)`): the index of
    /// the name in [`Arm::names`](super::ast::Arm::names).
    Pattern(ArmRef, usize),
}

/// A resolved port connection: `port: source`, where the source's root is `from`.
pub(crate) struct Edge {
    pub(crate) port: Ident,
    pub(crate) source: super::ast::Source,
    pub(crate) from: Origin,
    /// The bindings whose output this edge may carry: one, or for a merge or a `name?`
    /// every definition that can run together with the consumer. The consumer waits
    /// for each (those in arms not taken count as finished).
    pub(crate) producers: Vec<usize>,
}

/// Inputs and bindings share one namespace. A name declared twice resolves to its first
/// declaration (inputs come first), so a duplicate is reported once and causes no
/// follow-on errors.
pub(crate) struct Namespace {
    inputs: HashMap<String, usize>,
    nodes: HashMap<String, usize>,
    /// Every definition of each binding name (several for a merge), in order.
    definitions: HashMap<String, Vec<usize>>,
    /// Every distinct name, in declaration order (inputs first), for suggestions.
    names: Vec<String>,
    /// Inputs that repeat an earlier name.
    duplicate_inputs: Vec<bool>,
    /// A name read but bound nowhere, which the error of a duplicate binding named as
    /// the one it was likely meant to be (a copied line, not renamed): not reported
    /// again as an unknown source.
    misnamed: Option<String>,
}

impl Namespace {
    pub(crate) fn is_duplicate_input(&self, index: usize) -> bool {
        self.duplicate_inputs[index]
    }

    /// The definitions of a binding name (empty for an input or an unknown name).
    pub(crate) fn definitions(&self, name: &str) -> &[usize] {
        self.definitions.get(name).map_or(&[], Vec::as_slice)
    }

    /// Whether `name` names an input or a binding.
    pub(crate) fn is_declared(&self, name: &str) -> bool {
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
    // A binding may be defined again in another arm of a decision (a merge): each
    // definition must be exclusive with every earlier one.
    let mut scopes: HashMap<String, Vec<&[ArmRef]>> = HashMap::new();
    // Names bound before a decision and again in its arms, reported once.
    let mut bound_around_arms: HashSet<String> = HashSet::new();
    let mut misnamed = None;
    let declared = def.inputs.iter().map(|i| (&i.name, None)).chain(
        def.bindings
            .iter()
            .map(|b| (&b.name, Some(b.scope.as_slice()))),
    );
    for (ident, scope) in declared {
        let is_input = scope.is_none();
        let name = ident.to_string();
        let earlier = scopes.entry(name.clone()).or_default();
        let merges = scope.is_some_and(|scope| {
            !earlier.is_empty()
                && first_is_input.get(&name) == Some(&false)
                && earlier.iter().all(|e| exclusive(e, scope))
        });
        // Defined in an arm, and clashing only with definitions around that arm's
        // decision (`total = zero(),` before `if ok { total = .., } else { total = .., }`):
        // one mistake, however many arms define it again.
        let clashes_around = scope.is_some_and(|scope| {
            let mut clashes = earlier.iter().filter(|e| !exclusive(e, scope)).peekable();
            clashes.peek().is_some()
                && clashes.all(|e| e.len() < scope.len() && scope.starts_with(e))
        });
        if let Some(scope) = scope {
            earlier.push(scope);
        }
        if merges {
            continue;
        }
        match first_is_input.get(&name) {
            Some(false) if clashes_around => {
                if bound_around_arms.insert(name.clone()) {
                    cx.error_spanned_by(
                        ident,
                        format!("`{name}` is already a node binding of this workflow, outside this arm; a binding defined in the arms of a `match` or `if` is already the one value after it (from whichever arm ran), so remove `{name} = ..` outside the arms, or give one of them another name"),
                    );
                }
            }
            Some(&first) => {
                let meant = if !first && !is_input && misnamed.is_none() {
                    only_unbound_source(def, ident)
                } else {
                    None
                };
                let hint = meant.as_ref().map_or_else(String::new, |meant| {
                    format!(" (`{meant}` is read but bound nowhere: if this binding is `{meant}`, write `{meant} = ..`)")
                });
                misnamed = misnamed.or(meant);
                let first = if first { "an input" } else { "a node binding" };
                cx.error_spanned_by(
                    ident,
                    format!("`{name}` is already {first} of this workflow; give each input and binding its own name{hint}"),
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
    let mut definitions: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, b) in def.bindings.iter().enumerate() {
        let name = b.name.to_string();
        if !inputs.contains_key(&name) {
            nodes.entry(name.clone()).or_insert(i);
            let defs = definitions.entry(name).or_default();
            // A definition that is a duplicate (not exclusive) is not one.
            if defs
                .iter()
                .all(|&d| exclusive(&def.bindings[d].scope, &b.scope))
            {
                defs.push(i);
            }
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
        definitions,
        names,
        duplicate_inputs,
        misnamed,
    }
}

/// The unknown name (no input, binding, arm pattern, fan-out item or body binding
/// declares it) that ports of top-level bindings after `duplicate` read, when there is
/// exactly one and no binding before `duplicate` reads an unknown name: the name a
/// copied line left unchanged was likely meant to bind (`b2 = f(x: b1), b2 = f(x: b1),
/// b4 = f(x: b3)`).
fn only_unbound_source(def: &WorkflowDef, duplicate: &Ident) -> Option<String> {
    let at = def
        .bindings
        .iter()
        .position(|b| std::ptr::eq(&b.name, duplicate))?;
    let declared: HashSet<String> = def
        .inputs
        .iter()
        .map(|i| i.name.to_string())
        .chain(def.bindings.iter().map(|b| b.name.to_string()))
        .chain(
            def.decisions
                .iter()
                .flat_map(|d| d.arms.iter().flat_map(|a| a.names.iter()))
                .map(ToString::to_string),
        )
        .collect();
    let read = |bindings: &[Binding]| -> HashSet<String> {
        bindings
            .iter()
            .flat_map(|b| b.args.iter().map(|a| a.source.root.to_string()))
            .filter(|root| {
                !declared.contains(root)
                    && body_binding(&def.bindings, root).is_none()
                    && fan_out_var(&def.bindings, root).is_none()
            })
            .collect()
    };
    let before = read(&def.bindings[..at]);
    let after = read(&def.bindings[at + 1..]);
    let mut unbound = after.difference(&before);
    match (unbound.next(), unbound.next(), before.is_empty()) {
        (Some(one), None, true) => Some(one.clone()),
        _ => None,
    }
}

/// Resolves the port connections of every binding into edges (one list per binding).
pub(crate) fn resolve_edges(cx: &Ctxt, def: &WorkflowDef, ns: &Namespace) -> Vec<Vec<Edge>> {
    def.bindings
        .iter()
        .map(|b| resolve_binding(cx, def, b, ns))
        .collect()
}

/// Each port is connected once and its source is declared. A port connected again, or
/// to an unknown source, gets no edge.
fn resolve_binding(cx: &Ctxt, def: &WorkflowDef, b: &Binding, ns: &Namespace) -> Vec<Edge> {
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
        if let Some((from, producers)) = resolve_source(cx, def, b, arg, ns) {
            edges.push(Edge {
                port: arg.port.clone(),
                source: arg.source.clone(),
                from,
                producers,
            });
        }
    }
    edges
}

/// Resolves what each decision matches: an edge into its router (port `match`/`if`).
pub(crate) fn resolve_decisions(cx: &Ctxt, def: &WorkflowDef, ns: &Namespace) -> Vec<Option<Edge>> {
    def.decisions
        .iter()
        .map(|d| {
            if let Some(q) = d.on.optional {
                cx.error_at(
                    q,
                    format!(
                        "`{}` routes on a value that exists: remove the `?`",
                        d.keyword
                    ),
                );
                return None;
            }
            let root = d.on.root.to_string();
            let found = lookup_in_scope(
                cx,
                def,
                ns,
                &d.scope,
                &d.on,
                &format!("`{} {}`", d.keyword, d.on.text()),
            );
            if found.is_none()
                && !ns.is_declared(&root)
                && pattern_lookup(def, &d.scope, &root).is_none()
            {
                cx.error_spanned_by(
                    &d.on.root,
                    unknown_source_message(&root, &ns.names, &d.keyword.to_string()).replace(
                        &format!("for port `{}`", d.keyword),
                        &format!("for `{} {root}`", d.keyword),
                    ),
                );
            }
            found.map(|(from, producers)| Edge {
                port: d.keyword.clone(),
                source: d.on.clone(),
                from,
                producers,
            })
        })
        .collect()
}

/// A name bound by the pattern of an arm around `scope` (innermost first).
fn pattern_lookup(def: &WorkflowDef, scope: &[ArmRef], name: &str) -> Option<Origin> {
    scope.iter().rev().find_map(|r| {
        let arm = &def.decisions[r.decision].arms[r.arm];
        arm.names
            .iter()
            .position(|n| n == name)
            .map(|k| Origin::Pattern(*r, k))
    })
}

/// Whether `name` is defined in scope `scope` itself: bound there, or bound in every arm
/// of a decision there (recursively).
fn covers(def: &WorkflowDef, ns: &Namespace, name: &str, scope: &[ArmRef]) -> bool {
    if ns
        .definitions(name)
        .iter()
        .any(|&i| def.bindings[i].scope == scope)
    {
        return true;
    }
    def.decisions.iter().enumerate().any(|(d, decision)| {
        decision.scope == scope
            && (0..decision.arms.len()).all(|arm| {
                let mut inner = scope.to_vec();
                inner.push(ArmRef { decision: d, arm });
                covers(def, ns, name, &inner)
            })
    })
}

/// Whether every arm around `scope`, or the top level, defines `name` as a plain value.
pub(crate) fn is_total(def: &WorkflowDef, ns: &Namespace, name: &str, scope: &[ArmRef]) -> bool {
    (0..=scope.len()).any(|k| covers(def, ns, name, &scope[..k]))
}

/// What `source` names for a consumer in `scope`, and the producers it waits for; a
/// merge used with `?`, or a binding of some arms used without, is reported (`None`).
/// `None` without a report for an unknown name (the caller reports it).
fn lookup_in_scope(
    cx: &Ctxt,
    def: &WorkflowDef,
    ns: &Namespace,
    scope: &[ArmRef],
    source: &Source,
    consumer: &str,
) -> Option<(Origin, Vec<usize>)> {
    let root = source.root.to_string();
    if let Some(origin) = pattern_lookup(def, scope, &root) {
        if let Some(q) = source.optional {
            cx.error_at(q, format!("`{root}` is bound by this arm's pattern, so it always has a value here: remove the `?`"));
            return None;
        }
        if !source.fields.is_empty() {
            cx.error_at(
                source.span(),
                format!("connect pattern binding `{root}` as a whole: to use a field, bind it in the pattern (like `Variant(Type {{ field, .. }})`)"),
            );
            return None;
        }
        return Some((origin, Vec::new()));
    }
    let found = ns.lookup(&root)?;
    let Origin::Node(owner) = found else {
        if let Some(q) = source.optional {
            // `nick?` on an `input nick: Option<String>`: `?` read as unwrapping an
            // optional value (a Python `Optional` or Rust's `?`), which it is not here.
            let option = match found {
                Origin::Input(i) => def.inputs.get(i).filter(|d| is_option(&d.ty)),
                _ => None,
            };
            let message = match option {
                Some(decl) => format!(
                    "input `{root}` always has a value, an `{}` passed whole: remove the `?` (it marks a binding of some arms only); to run the node only when there is a value, match on it, `match {root} {{ Some(v) => {{ x = node_fn(port: v), }} None => {{}} }}`, or give the node an `Option` parameter",
                    crate::internals::types::type_text(&decl.ty)
                ),
                None => format!("input `{root}` always has a value: remove the `?`"),
            };
            cx.error_at(q, message);
            return None;
        }
        return Some((found, Vec::new()));
    };
    if let (Some(fan_out), Some(field)) = (&def.bindings[owner].fan_out, source.fields.first()) {
        let field = quote::ToTokens::to_token_stream(field);
        cx.error_at(
            source.span(),
            format!(
                "`{root}` is a fan-out: a `Vec` with one value per item of `{}`, which has no field `{field}`; connect it whole (`port: {root}`, a port taking the `Vec`) and read each item's `{field}` in that node",
                fan_out.items.text()
            ),
        );
        return None;
    }
    let producers: Vec<usize> = ns
        .definitions(&root)
        .iter()
        .copied()
        .filter(|&i| !exclusive(&def.bindings[i].scope, scope))
        .collect();
    let total = is_total(def, ns, &root, scope);
    let arms_text = || {
        let mut arms: Vec<String> = Vec::new();
        for &i in ns.definitions(&root) {
            if let Some(r) = def.bindings[i].scope.last() {
                let d = &def.decisions[r.decision];
                let text = format!(
                    "`{}` of `{} {}`",
                    d.arms[r.arm].label,
                    d.keyword,
                    d.on.text()
                );
                if !arms.contains(&text) {
                    arms.push(text);
                }
            }
        }
        arms.join(", ")
    };
    match (total, source.optional) {
        (true, Some(q)) => {
            let in_arms = ns
                .definitions(&root)
                .iter()
                .any(|&i| !def.bindings[i].scope.is_empty());
            cx.error_at(
                q,
                if in_arms {
                    format!("every arm binds `{root}`, so it always has a value here: remove the `?` (`?` is for a binding that only some arms define)")
                } else {
                    // Not bound in any arm (`d?` in a workflow without `match`): "every
                    // arm" named arms that are not there.
                    format!("`{root}` is not bound in the arms of a `match` or `if`, so it always has a value here: remove the `?` (`?` is for a binding that only some arms define; a node's error fails the run, it is not passed on)")
                },
            );
            None
        }
        (true, None) => Some((found, producers)),
        (false, _) if producers.is_empty() => {
            cx.error_at(
                source.span(),
                format!("`{root}` is bound only in arm {}, which never runs together with {consumer}; move {consumer} into that arm", arms_text()),
            );
            None
        }
        (false, Some(_)) => Some((Origin::Node(owner), producers)),
        (false, None) => {
            cx.error_at(
                source.span(),
                format!("`{root}` is bound only in arm {}, so it may not exist here; write `{root}?` to get an `Option` (`None` when another arm ran), or move {consumer} into that arm", arms_text()),
            );
            None
        }
    }
}

/// What the root of `arg`'s source names; an unknown one is reported with a suggestion.
fn resolve_source(
    cx: &Ctxt,
    def: &WorkflowDef,
    b: &Binding,
    arg: &PortArg,
    ns: &Namespace,
) -> Option<(Origin, Vec<usize>)> {
    let root = arg.source.root.to_string();
    let consumer = format!("`{}`", b.name);
    let found = lookup_in_scope(cx, def, ns, &b.scope, &arg.source, &consumer);
    if found.is_none()
        && !ns.is_declared(&root)
        && pattern_lookup(def, &b.scope, &root).is_none()
        && ns.misnamed.as_deref() != Some(root.as_str())
    {
        // A binding cannot consume itself, so its own name is no suggestion.
        let candidates: Vec<String> = ns
            .names
            .iter()
            .filter(|n| b.name != n.as_str())
            .cloned()
            .collect();
        // `self.x`, `input.x`, `Etl.x`: a prefix before a name that is a source.
        let named_directly = matches!(
            arg.source.fields.first(),
            Some(syn::Member::Named(field)) if ns.is_declared(&field.to_string())
        );
        let message = if named_directly {
            let text = arg.source.text();
            let rest = text.split_once('.').map_or("", |(_, rest)| rest);
            format!(
                "remove `{root}.`: inputs and bindings are named directly in `workflow!`, like `{}: {rest}`",
                arg.port
            )
        } else if let Some((fan_out, var, result)) = body_binding(&def.bindings, &root) {
            // `img` bound in a `for` body, read outside it: one per item, not one here.
            format!(
                "`{root}` is bound inside the body of fan-out `{fan_out}`, once per item of the list, so there is no one `{root}` here; collect it per item with `{fan_out} = for {var} in .. {{ .. }} => {root}` (a `Vec`, in input order), or move this node into the body{}",
                if result == root { String::new() } else { format!(" (`{fan_out}` now collects `{result}`)") }
            )
        } else if let Some((fan_out, label)) = fan_out_var(&def.bindings, &root) {
            // `url` of `thumbs = for url in urls { .. }`, read outside the body.
            format!(
                "`{root}` names one item of fan-out `{fan_out}` (`{label}`), inside its body only; outside it, use the list itself, or `{fan_out}` (the `Vec` of what the body collects), or move this node into the body"
            )
        } else if let Some((arm, decision)) = out_of_scope_pattern(def, &b.scope, &root) {
            // `o` of `Triage::Small(o) => { .. }`, read outside that arm.
            let own: Vec<String> = b
                .scope
                .iter()
                .flat_map(|r| def.decisions[r.decision].arms[r.arm].names.iter())
                .map(ToString::to_string)
                .collect();
            let instead = if own.is_empty() {
                "use it in a node inside that arm and read that node's binding here (as `name?` if only some arms bind it)".to_owned()
            } else {
                format!("this arm's pattern binds {}", list(&own))
            };
            format!(
                "`{root}` is bound by the pattern `{}` of `{decision}`, so it exists only inside that arm; {instead}",
                arm.label
            )
        } else {
            unknown_source_message(&root, &candidates, &arg.port.to_string())
        };
        cx.error_spanned_by(&arg.source.root, message);
    }
    found
}

/// The fan-out (and its `for var in list` label) whose item variable, at any depth, is
/// `name`.
fn fan_out_var(bindings: &[Binding], name: &str) -> Option<(String, String)> {
    bindings.iter().find_map(|b| {
        let fan_out = b.fan_out.as_ref()?;
        let crate::workflow::ast::FanOutBody::For { var, bindings, .. } = &fan_out.body else {
            return None;
        };
        if var == name {
            return Some((b.name.to_string(), fan_out.label()));
        }
        fan_out_var(bindings, name)
    })
}

/// The arm (and its decision, as `match on`) whose pattern binds `name`, when that arm
/// is not around `scope` (`pattern_lookup` found nothing there).
fn out_of_scope_pattern<'d>(
    def: &'d WorkflowDef,
    scope: &[ArmRef],
    name: &str,
) -> Option<(&'d super::ast::Arm, String)> {
    def.decisions.iter().enumerate().find_map(|(d, decision)| {
        let (k, arm) = decision
            .arms
            .iter()
            .enumerate()
            .find(|(_, arm)| arm.names.iter().any(|n| n == name))?;
        if scope.contains(&ArmRef {
            decision: d,
            arm: k,
        }) {
            return None;
        }
        Some((arm, format!("{} {}", decision.keyword, decision.on.text())))
    })
}

/// The fan-out (and its item variable and result) whose `for` body, at any depth,
/// binds `name`.
fn body_binding(bindings: &[Binding], name: &str) -> Option<(String, String, String)> {
    bindings.iter().find_map(|b| {
        let crate::workflow::ast::FanOutBody::For {
            var,
            bindings,
            result,
            ..
        } = &b.fan_out.as_ref()?.body
        else {
            return None;
        };
        if bindings.iter().any(|inner| inner.name == name) {
            return Some((b.name.to_string(), var.to_string(), result.to_string()));
        }
        body_binding(bindings, name)
    })
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
    } else if root.starts_with(|c: char| c.is_ascii_uppercase()) {
        // A type where a source goes (`fetch(url: Etl)`), not "declare `input Etl: Type`",
        // an input named like a type; `query(n, db: Db)` with `db: Res<Db>` is a
        // resource connected by its type.
        let snake = snake_case(root);
        let resource = if snake.contains(port) || port.contains(snake.as_str()) {
            format!("; if `{port}` is a `Res<{root}>` (a resource), leave it out of the call: the runtime passes it in")
        } else {
            String::new()
        };
        format!(
            "{msg}: a source is an input or a node binding of this workflow ({}), not a type{resource}",
            list(names)
        )
    } else if root == port {
        // `load(id, db)` with `db: Res<Db>`: no source can be named like that parameter.
        format!(
            "{msg}; use an input or a node binding of this workflow ({}), or declare `input {root}: Type` (if `{root}` is a `Res<..>` or `&Context` parameter, leave it out: the runtime passes it in)",
            list(names)
        )
    } else {
        format!(
            "{msg}; use an input or a node binding of this workflow ({}), or declare `input {root}: Type`",
            list(names)
        )
    }
}

/// `http_client` for `HttpClient`.
fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    for (i, c) in name.char_indices() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether `ty` is written as an `Option<..>` (by its last path segment).
fn is_option(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(p) if p.qself.is_none()
        && p.path.segments.last().is_some_and(|s| s.ident == "Option"))
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
    fn a_for_body_binding_read_outside_says_it_exists_per_item() {
        let m = messages(quote! {
            struct W {
                input urls: Vec<String>,
                sizes = for url in urls { img = download(url), s = size(img), } => s,
                n = count(imgs: img),
            }
        });
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].starts_with("`img` is bound inside the body of fan-out `sizes`, once per item"),
            "{m:?}"
        );
        assert!(m[0].contains("(`sizes` now collects `s`)"), "{m:?}");
    }

    #[test]
    fn a_source_named_like_a_type_says_sources_are_not_types() {
        let m = messages(quote! {
            struct Q { input n: u32, q = query(n, db: Db), }
        });
        assert_eq!(
            m,
            ["unknown source `Db` for port `db`: a source is an input or a node binding of this workflow (`n`), not a type; if `db` is a `Res<Db>` (a resource), leave it out of the call: the runtime passes it in"]
        );
        let m = messages(quote! {
            struct Etl { input url: String, page = fetch(url: Etl), }
        });
        assert_eq!(
            m,
            ["unknown source `Etl` for port `url`: a source is an input or a node binding of this workflow (`url`), not a type"]
        );
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
    fn a_copied_binding_not_renamed_is_one_error_naming_the_name_read_but_unbound() {
        // `b = f(x: a),` copied and not renamed: `c` is read below and bound nowhere.
        assert_eq!(
            messages(quote! { struct W { input u: u8, a = f(x: u), b = f(x: a), b = f(x: b), d = f(x: c) } }),
            ["`b` is already a node binding of this workflow; give each input and binding its own name (`c` is read but bound nowhere: if this binding is `c`, write `c = ..`)"]
        );
        // An unknown name read before the duplicate too: no guess, each reported.
        assert_eq!(
            messages(quote! { struct W { input u: u8, a = f(x: c), b = f(x: u), b = f(x: b), d = f(x: c) } })
                .len(),
            3
        );
        // Two names unbound: no guess, each reported.
        assert_eq!(
            messages(quote! { struct W { input u: u8, b = f(x: u), b = f(x: b), d = f(x: c), e = f(x: z) } })
                .len(),
            3
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
