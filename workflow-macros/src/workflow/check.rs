//! Graph checks of `workflow!`, one small function per rule. Name resolution (duplicate
//! names, unknown sources, ports connected twice) is in `resolve.rs`.

use proc_macro2::TokenTree;
use syn::Ident;

use super::ast::{FanOutBody, WorkflowDef};
use super::attr::BindingAttrs;
use super::graph::{Graph, NodeLinks};
use super::resolve::{Namespace, Origin};
use crate::internals::types;
use crate::internals::Ctxt;

/// Runs every graph check. Unused inputs are reported into `unused` (they do not stop
/// the expansion); returns the connections reported as closing a cycle, as
/// `(binding, port)`.
pub(crate) fn check(
    cx: &Ctxt,
    unused: &Ctxt,
    def: &WorkflowDef,
    ns: &Namespace,
    graph: &Graph,
) -> Vec<(usize, String)> {
    check_has_bindings(cx, def);
    check_inputs_are_send(cx, def);
    check_inputs_own_data(cx, def);
    check_inputs_concrete(cx, def);
    check_guards(cx, def, ns);
    check_decision_sources(cx, def, graph);
    check_pattern_fan_outs_typed(cx, def);
    let closing = check_acyclic(cx, def, &graph.nodes[..graph.bindings]);
    if closing.is_empty() {
        check_no_cycle_through_decisions(cx, def, graph);
        // After a cycle, an unused input is most often the source the closing connection
        // meant (`n = fetch(url: n)`): one mistake, reported once, as the cycle.
        check_inputs_are_used(unused, def, ns, graph);
    }
    closing
}

/// A `#[failure = "collect"]` fan-out's output, `Vec<Result<T, WorkflowError>>`, is not
/// `Clone` (`WorkflowError` is not), so it can go to one consumer only: a second one
/// (another port, or `#[output]`) is one error at that consumer, in the DSL's terms,
/// instead of rustc's "`WorkflowError: Clone` is not satisfied".
pub(crate) fn check_collected_fan_outs_have_one_consumer(
    cx: &Ctxt,
    def: &WorkflowDef,
    attrs: &[BindingAttrs],
    graph: &Graph,
) {
    for (i, b) in def.bindings.iter().enumerate() {
        let collects = attrs.get(i).is_some_and(|a| a.collect);
        if !collects || b.fan_out.is_none() || graph.nodes[i].consumers <= 1 {
            continue;
        }
        let reads: Vec<(&Ident, &super::resolve::Edge)> = def
            .bindings
            .iter()
            .zip(&graph.nodes)
            .flat_map(|(c, n)| n.edges.iter().map(move |e| (&c.name, e)))
            .filter(|(_, e)| matches!(e.from, Origin::Node(j) if j == i))
            .collect();
        let name = &b.name;
        let cause = format!("`{name}` collects every item's `Result` (`#[failure = \"collect\"]`), and a `Vec<Result<_, WorkflowError>>` cannot be cloned (`WorkflowError` is not `Clone`)");
        match reads.as_slice() {
            [_, (consumer, second), ..] => cx.error_at(
                second.source.span(),
                format!("{cause}, so only one node can take it and `{consumer}` is a second; take it in one `#[node]` fn that returns what both need, or remove `#[failure = \"collect\"]` to share a plain `Vec`"),
            ),
            [(consumer, only)] => cx.error_at(
                only.source.span(),
                format!("{cause}, so it cannot be both kept as an `#[output]` and taken by `{consumer}`; remove `#[output]` (and have `{consumer}` return what the caller needs), or remove `#[failure = \"collect\"]`"),
            ),
            _ => cx.error_at(name.span(), format!("{cause}, so only one node can take it")),
        }
    }
}

/// A guard may use only the names its own arm's pattern binds: routing must be a
/// function of the matched value alone (a durable run records that value and the arm).
fn check_guards(cx: &Ctxt, def: &WorkflowDef, ns: &Namespace) {
    for (d, decision) in def.decisions.iter().enumerate() {
        for arm in &decision.arms {
            let Some(guard) = &arm.guard else { continue };
            let outer_patterns: Vec<&syn::Ident> = decision
                .scope
                .iter()
                .flat_map(|r| &def.decisions[r.decision].arms[r.arm].names)
                .collect();
            let tokens: Vec<TokenTree> = flatten(quote::ToTokens::to_token_stream(guard));
            for (k, tt) in tokens.iter().enumerate() {
                let TokenTree::Ident(ident) = tt else {
                    continue;
                };
                let after_dot_or_path = k > 0
                    && matches!(&tokens[k - 1], TokenTree::Punct(p) if p.as_char() == '.' || p.as_char() == ':');
                let before_path = matches!(tokens.get(k + 1), Some(TokenTree::Punct(p)) if p.as_char() == ':' || p.as_char() == '!');
                if after_dot_or_path || before_path || arm.names.contains(ident) {
                    continue;
                }
                let name = ident.to_string();
                let outside = ns.is_declared(&name) || outer_patterns.iter().any(|n| **n == name);
                if outside {
                    cx.error_spanned_by(
                        ident,
                        format!(
                            "the guard of arm `{}` uses `{name}`, which its pattern does not bind; a guard may use only its own pattern's bindings (the route must depend on the matched value alone): bind what the guard needs in the pattern, or compute the decision in the node `{} {}` routes on",
                            tokens_text_of(&arm.pat),
                            def.decisions[d].keyword,
                            decision.on.text()
                        ),
                    );
                }
            }
        }
    }
}

/// The tokens of a stream with groups opened (their delimiters dropped).
fn flatten(tokens: proc_macro2::TokenStream) -> Vec<TokenTree> {
    let mut out = Vec::new();
    for tt in tokens {
        match tt {
            TokenTree::Group(g) => out.extend(flatten(g.stream())),
            tt => out.push(tt),
        }
    }
    out
}

fn tokens_text_of(pat: &syn::Pat) -> String {
    super::ast::tokens_text(&quote::ToTokens::to_token_stream(pat))
}

/// A decision routes on a node's output or an input, not on another arm's pattern
/// binding (whose type `workflow!` learns only from a port it feeds).
fn check_decision_sources(cx: &Ctxt, def: &WorkflowDef, graph: &Graph) {
    for (d, decision) in def.decisions.iter().enumerate() {
        let router = &graph.nodes[graph.bindings + d];
        if router
            .edges
            .iter()
            .any(|e| matches!(e.from, Origin::Pattern(..)))
        {
            cx.error_spanned_by(
                &decision.on.root,
                format!(
                    "`{} {}` routes on a pattern binding of the arm around it: match it in that arm's pattern instead (like `Outer::A(Inner::B(x))`)",
                    decision.keyword,
                    decision.on.text()
                ),
            );
        }
    }
}

/// No cycle through a decision (a node inside an arm feeding what the decision
/// matches): the graph's order says so once the edge checks found no cycle.
fn check_no_cycle_through_decisions(cx: &Ctxt, def: &WorkflowDef, graph: &Graph) {
    if !graph.has_cycle {
        return;
    }
    if let Some(decision) = def.decisions.first() {
        cx.error_spanned_by(
            &decision.on.root,
            format!(
                "cycle in {} through `{} {}`: a node inside an arm feeds what the decision routes on (directly or through other nodes); a decision's arms can only use what exists before it",
                def.place(),
                decision.keyword,
                decision.on.text()
            ),
        );
    }
}

/// Inputs cross threads: a visibly non-`Send` type (`Rc<T>`) is one error, at it,
/// saying to use `Arc` (the input's `Send` check repeats it, so the input's type is an
/// error type that no bound reports again; see `expand/items.rs`).
fn check_inputs_are_send(cx: &Ctxt, def: &WorkflowDef) {
    use crate::internals::not_send;
    for input in &def.inputs {
        if let Some((found, fix)) = not_send::find(&input.ty) {
            let what = format!("input `{}`", input.name);
            cx.error_spanned_by(found, not_send::message(&what, found, fix));
        }
    }
}

/// An input owns its data: a run outlives the caller's borrows. `input url: &str` is
/// one error here, and the input struct gets the owned type it suggests (`String`, see
/// [`owned_input`]), so rustc adds no "missing lifetime specifier" and the ports it
/// feeds (which own their data too) see no mismatch.
fn check_inputs_own_data(cx: &Ctxt, def: &WorkflowDef) {
    for input in &def.inputs {
        // `input s: str` (or `[u8]`, `dyn Trait`): no value has that type; the struct
        // gets the sized type named, as for a borrow.
        if let Some((_, sized)) = types::sized_for(&input.ty) {
            cx.error_spanned_by(
                &input.ty,
                format!(
                    "input `{}` cannot be of type `{}`, which has no size known at compile time: declare `input {}: {sized}`",
                    input.name,
                    types::type_text(&input.ty),
                    input.name
                ),
            );
            continue;
        }
        let syn::Type::Reference(r) = &input.ty else {
            // `input tags: Vec<&str>`: the same, at the borrow inside.
            if let Some((owned, first)) = owned_nested(&input.ty, true) {
                cx.error_spanned_by(
                    &first,
                    format!(
                        "input `{}` must own its data, since a run outlives the caller's borrows: declare `input {}: {}` (or `&'static {}` inside)",
                        input.name,
                        input.name,
                        types::type_text(&owned),
                        types::type_text(&first.elem)
                    ),
                );
            }
            continue;
        };
        if types::is_static(r) {
            continue;
        }
        let (elem, owned) = (types::type_text(&r.elem), types::owned_text(r));
        cx.error_spanned_by(
            &input.ty,
            format!("input `{}` must own its data, since a run outlives the caller's borrows: declare `input {}: {owned}` (or `&'static {elem}`)", input.name, input.name),
        );
    }
}

/// An input has one concrete type, written out: `input x: impl Into<String>` or
/// `input x: _` is one error here, at `impl ..` or `_`, which the input's `Send` check
/// repeats so that the input's type is an error type nothing else reports (see
/// `expand/items.rs`): not also rustc's "`impl Trait` in type aliases is unstable", "not
/// allowed in paths", "unconstrained opaque type", or "placeholder `_` not allowed" and
/// "type annotations needed".
fn check_inputs_concrete(cx: &Ctxt, def: &WorkflowDef) {
    for input in &def.inputs {
        if let Some((found, message)) = not_concrete_input(input) {
            cx.error_spanned_by(found, message);
        }
    }
}

/// The `impl Trait` or `_` in an input's type (also nested, `Vec<impl Display>`) and
/// the error for it.
pub(crate) fn not_concrete_input(input: &super::ast::InputDecl) -> Option<(&syn::Type, String)> {
    struct Find<'a>(Option<&'a syn::Type>);
    impl<'a> syn::visit::Visit<'a> for Find<'a> {
        fn visit_type(&mut self, t: &'a syn::Type) {
            match t {
                syn::Type::ImplTrait(_) | syn::Type::Infer(_) => {
                    self.0.get_or_insert(t);
                }
                _ => syn::visit::visit_type(self, t),
            }
        }
    }
    let mut find = Find(None);
    syn::visit::Visit::visit_type(&mut find, &input.ty);
    let found = find.0?;
    let name = &input.name;
    let message = if matches!(found, syn::Type::Infer(_)) {
        format!(
            "input `{name}` needs its type written out: a workflow's input types are not inferred; declare the type of the ports it feeds, like `input {name}: String`"
        )
    } else {
        format!(
            "input `{name}` needs one concrete type: `impl Trait` is for fn parameters; declare the type of the ports it feeds, like `input {name}: String`, and let callers convert to it"
        )
    };
    Some((found, message))
}

/// The owned type for an input declared `&T` or `&'a T` (not `&'static T`): `String`
/// for `&str`, `Vec<T>` for `&[T]`, else `T`; the sized type for an unsized one (`str`,
/// `[T]`, `dyn Trait`: see `types::sized_for`).
pub(crate) fn owned_input(ty: &syn::Type) -> Option<syn::Type> {
    if let Some((sized, _)) = types::sized_for(ty) {
        return Some(sized);
    }
    let syn::Type::Reference(r) = ty else {
        return owned_nested(ty, false).map(|(owned, _)| owned);
    };
    if types::is_static(r) {
        return None;
    }
    let elem = &*r.elem;
    Some(match elem {
        syn::Type::Path(p) if p.qself.is_none() && p.path.is_ident("str") => {
            syn::parse_quote_spanned!(r.and_token.span=> ::std::string::String)
        }
        syn::Type::Slice(s) => {
            let t = &s.elem;
            syn::parse_quote_spanned!(r.and_token.span=> ::std::vec::Vec<#t>)
        }
        other => other.clone(),
    })
}

/// `ty` with each borrow inside it (not `&'static`) made the owned type it stands for
/// (`Vec<&str>` → `Vec<String>`, `Option<&[u8]>` → `Option<Vec<u8>>`), and the first
/// such borrow; `None` if it has none. A fn's own arguments (`fn(&str)`, `dyn
/// Fn(&str)`) borrow only for the call, so they are left as written. The top-level
/// reference is `owned_input`'s. `plain`: as written in a message (`String`, not
/// `::std::string::String`).
fn owned_nested(ty: &syn::Type, plain: bool) -> Option<(syn::Type, syn::TypeReference)> {
    use syn::visit_mut::VisitMut;
    struct Own(Option<syn::TypeReference>, bool);
    impl VisitMut for Own {
        fn visit_type_mut(&mut self, t: &mut syn::Type) {
            match t {
                syn::Type::Reference(r) if !types::is_static(r) => {
                    self.0.get_or_insert_with(|| r.clone());
                    let mut owned = if self.1 {
                        syn::parse_str(&types::owned_text(r)).unwrap_or_else(|_| (*r.elem).clone())
                    } else {
                        owned_input(t).unwrap_or_else(|| t.clone())
                    };
                    self.visit_type_mut(&mut owned);
                    *t = owned;
                }
                syn::Type::FnPtr(_) | syn::Type::TraitObject(_) | syn::Type::ImplTrait(_) => {}
                _ => syn::visit_mut::visit_type_mut(self, t),
            }
        }
        fn visit_parenthesized_generic_arguments_mut(
            &mut self,
            _: &mut syn::ParenthesizedGenericArguments,
        ) {
        }
    }
    if matches!(ty, syn::Type::Reference(_)) {
        return None;
    }
    let mut owned = ty.clone();
    let mut own = Own(None, plain);
    own.visit_type_mut(&mut owned);
    own.0.map(|first| (owned, first))
}

/// A workflow runs at least one node.
fn check_has_bindings(cx: &Ctxt, def: &WorkflowDef) {
    if def.bindings.is_empty() {
        cx.error_at(
            def.brace_span,
            "a workflow needs at least one node binding, like `out = my_node(input)`",
        );
    }
}

/// The `for` fan-out whose item variable is named like input `input`, hiding it in its
/// body (`input x`, `ys = for x in xs { y = inc(x), }`): its binding's name.
pub(crate) fn hidden_by_item<'a>(def: &'a WorkflowDef, input: &Ident) -> Option<&'a Ident> {
    def.bindings
        .iter()
        .find_map(|b| match b.fan_out.as_ref().map(|f| &f.body) {
            Some(FanOutBody::For { var, .. }) if var == input => Some(&b.name),
            _ => None,
        })
}

/// "input `b` is not used by any node", saying why when a fan-out's item hides it.
pub(crate) fn unused_input_message(def: &WorkflowDef, input: &Ident) -> String {
    match hidden_by_item(def, input) {
        Some(fan_out) => format!(
            "input `{input}` is not used by any node: in the body of `{fan_out} = for {input} in ..`, `{input}` is the item, which hides this input; rename the item (`for item in ..`) to use both, or remove the input"
        ),
        None => unused_input_text(
            input,
            def.body_of
                .as_ref()
                .filter(|_| def.hidden_body)
                .map(|b| b.place.as_str()),
        ),
    }
}

/// "input `b` is not used by any node"; or, for the item of a `for` body (`item_of`:
/// where the body is), that no node of the body uses the item.
pub(crate) fn unused_input_text(input: &Ident, item_of: Option<&str>) -> String {
    match item_of {
        Some(body) => format!("`{input}` is the item of {body}, and no node of the body uses it; connect it to a port, like `node_fn({input})` (each run of the body gets one item of the list)"),
        None => format!("input `{input}` is not used by any node; connect it (e.g. `node_fn({input})`) or remove it"),
    }
}

/// A `match` arm's pattern binding has no type of its own: the slot holding it takes the
/// type of the port it feeds. When it feeds a `for` fan-out (its list, or an outer source
/// of its body), that type comes from the body's node port taking the item (or that
/// source) as it is; without one (`d = double(x: it.id)`), the type is unknown: one error
/// at the name, saying what to write, rather than rustc's about `()`.
fn check_pattern_fan_outs_typed(cx: &Ctxt, def: &WorkflowDef) {
    for b in &def.bindings {
        let Some(FanOutBody::For { var, bindings, .. }) = b.fan_out.as_ref().map(|f| &f.body)
        else {
            continue;
        };
        for (k, arg) in b.args.iter().enumerate() {
            let root = &arg.source.root;
            let declared = def.declares(root);
            let in_arm = b.scope.iter().any(|a| {
                def.decisions
                    .get(a.decision)
                    .and_then(|d| d.arms.get(a.arm))
                    .is_some_and(|arm| arm.names.contains(root))
            });
            if declared || !in_arm {
                continue;
            }
            let taker = if k == 0 { var } else { &arg.port };
            if super::expand::item_consumer(taker, bindings).is_some() {
                continue;
            }
            let fan_out = &b.name;
            let message = if k == 0 {
                format!("cannot tell the type of the items of `{root}`: it is a pattern binding of this arm, which has no type of its own, so the body of `{fan_out}` must pass its item `{var}` as it is to a node's port (`x = node_fn(port: {var})`), which gives the item its type; to use fields of the item (`{var}.field`), bind the list with a node first (`list = node_fn(port: {root}),`) and fan out over that")
            } else {
                format!("cannot tell the type of `{root}`: it is a pattern binding of this arm, which has no type of its own, so inside the body of `{fan_out}` it must go as it is to a node's port (`x = node_fn(port: {root})`), which gives it its type; to use its fields, bind it with a node first (`v = node_fn(port: {root}),`) and use that")
            };
            cx.error_spanned_by(root, message);
        }
    }
}

/// Every input feeds a port: an unused one is an error, not a warning. Not reported
/// for an input declared twice (already an error), a workflow without bindings, an
/// input named in a connection that is an error itself (a port connected twice), or
/// next to a connection to an unknown source.
fn check_inputs_are_used(cx: &Ctxt, def: &WorkflowDef, ns: &Namespace, graph: &Graph) {
    if def.bindings.is_empty() {
        return;
    }
    // A port connected to an unknown source (reported, with the inputs listed) usually
    // names the unused input wrongly (`fetch(url: Etl)`): one mistake, one error.
    let unknown_source = def
        .bindings
        .iter()
        .flat_map(|b| &b.args)
        .any(|a| !ns.is_declared(&a.source.root.to_string()));
    if unknown_source {
        return;
    }
    for (k, input) in def.inputs.iter().enumerate() {
        let mentioned = def
            .bindings
            .iter()
            .flat_map(|b| &b.args)
            .any(|a| a.source.root == input.name)
            // Named in a guard: reported there (a guard may not use it).
            || def.decisions.iter().flat_map(|d| &d.arms).any(|arm| {
                arm.guard.as_ref().is_some_and(|g| {
                    flatten(quote::ToTokens::to_token_stream(g))
                        .iter()
                        .any(|t| matches!(t, TokenTree::Ident(i) if *i == input.name))
                })
            });
        if graph.input_consumers[k] == 0 && !mentioned && !ns.is_duplicate_input(k) {
            cx.error_spanned_by(&input.name, unused_input_message(def, &input.name));
        }
    }
}

/// No cycles. Each cycle is reported once, on the edge that closes it, printing the
/// whole loop. Returns those edges as `(consumer, port)`.
fn check_acyclic(cx: &Ctxt, def: &WorkflowDef, nodes: &[NodeLinks]) -> Vec<(usize, String)> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }

    struct Search<'a> {
        cx: &'a Ctxt,
        def: &'a WorkflowDef,
        /// For each producer, its consumers' edges from it (consumer, edge), in consumer
        /// and port order: built once, as a scan of every node's edges per visited node
        /// was quadratic in a workflow's size (issue 17, compile time).
        consumers: Vec<Vec<(usize, &'a super::resolve::Edge)>>,
        mark: Vec<Mark>,
        stack: Vec<usize>,
        closing: Vec<(usize, String)>,
    }

    impl Search<'_> {
        fn visit(&mut self, i: usize) {
            self.mark[i] = Mark::Active;
            self.stack.push(i);
            // Follow edges in the data direction: from producer `i` to its consumers.
            for k in 0..self.consumers[i].len() {
                let (c, edge) = self.consumers[i][k];
                match self.mark[c] {
                    Mark::Active => {
                        self.report(c, edge);
                        self.closing.push((c, edge.port.to_string()));
                    }
                    Mark::New => self.visit(c),
                    Mark::Done => {}
                }
            }
            self.stack.pop();
            self.mark[i] = Mark::Done;
        }

        /// `edge` into `c`, which is on the stack, closes a loop.
        fn report(&self, c: usize, edge: &super::resolve::Edge) {
            let bindings = &self.def.bindings;
            let pos = self.stack.iter().position(|&s| s == c).unwrap_or(0);
            let mut names: Vec<String> = self.stack[pos..]
                .iter()
                .map(|&s| bindings[s].name.to_string())
                .collect();
            names.push(bindings[c].name.to_string());
            self.cx.error_at(
                edge.source.span(),
                format!(
                    "cycle in {}: {}; a workflow must be acyclic, so remove one of these connections (this one, `{} -> {}.{}`, closes the loop)",
                    self.def.place(),
                    names.join(" -> "),
                    edge.source.text(),
                    bindings[c].name,
                    edge.port,
                ),
            );
        }
    }

    let mut consumers = vec![Vec::new(); nodes.len()];
    for (c, consumer) in nodes.iter().enumerate() {
        for edge in &consumer.edges {
            if let Origin::Node(i) = edge.from {
                if let Some(out) = consumers.get_mut(i) {
                    out.push((c, edge));
                }
            }
        }
    }
    let mut search = Search {
        cx,
        def,
        consumers,
        mark: vec![Mark::New; nodes.len()],
        stack: Vec::new(),
        closing: Vec::new(),
    };
    for i in 0..nodes.len() {
        if search.mark[i] == Mark::New {
            search.visit(i);
        }
    }
    search.closing
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use crate::internals::Ctxt;
    use crate::workflow::ast::WorkflowDef;

    /// The messages of every phase after parsing, for a workflow that parses.
    fn messages(src: proc_macro2::TokenStream) -> Vec<String> {
        let cx = Ctxt::new();
        let def = WorkflowDef::parse(&cx, src).expect("parses");
        assert!(!cx.has_errors(), "{:?}", cx.messages());
        let (_, unused) = crate::workflow::analyse(&cx, &def);
        let mut messages = cx.messages();
        messages.extend(unused.messages());
        messages
    }

    #[test]
    fn an_input_type_with_impl_trait_or_a_placeholder_is_one_error() {
        for (ty, expected) in [
            (
                quote!(impl Into<String>),
                "`impl Trait` is for fn parameters",
            ),
            (
                quote!(Vec<impl std::fmt::Display>),
                "`impl Trait` is for fn parameters",
            ),
            (quote!(_), "not inferred"),
            (quote!(Option<_>), "not inferred"),
        ] {
            let m = messages(quote!(struct W { input x: #ty, a = f(x) }));
            assert_eq!(m.len(), 1, "{ty}: {m:?}");
            assert!(
                m[0].contains(expected) && m[0].contains("`input x: String`"),
                "{m:?}"
            );
        }
        assert!(messages(quote!(struct W { input x: Box<dyn Fn() + Send>, a = f(x) })).is_empty());
    }

    #[test]
    fn a_borrow_inside_an_input_type_is_one_error_naming_the_owned_type() {
        for (ty, owned) in [
            (quote!(Vec<&str>), "`input x: Vec<String>` (or `&'static str` inside)"),
            (quote!(Option<&[u8]>), "`input x: Option<Vec<u8>>` (or `&'static [u8]` inside)"),
            (
                quote!(std::collections::HashMap<&'a str, Vec<&Page>>),
                "`input x: std::collections::HashMap<String, Vec<Page>>` (or `&'static str` inside)",
            ),
        ] {
            let m = messages(quote!(struct W { input x: #ty, a = f(x) }));
            assert_eq!(m.len(), 1, "{ty}: {m:?}");
            assert!(
                m[0].starts_with("input `x` must own its data") && m[0].contains(owned),
                "{ty}: {m:?}"
            );
            let ty: syn::Type = syn::parse2(ty).expect("a type");
            let written = super::owned_input(&ty).expect("owned");
            assert!(!quote!(#written).to_string().contains('&'), "{}", quote!(#ty));
        }
        for ty in [
            quote!(Vec<&'static str>),
            quote!(Box<dyn Fn(&str) -> u32 + Send>),
            quote!(fn(&str) -> u32),
        ] {
            assert!(
                messages(quote!(struct W { input x: #ty, a = f(x) })).is_empty(),
                "{ty}"
            );
        }
    }

    #[test]
    fn a_cycle_is_printed_once_on_the_closing_edge() {
        let msgs = messages(quote! {
            struct W { a = f(x: c), b = g(x: a), c = h(x: b) }
        });
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        assert!(
            msgs[0].starts_with("cycle in workflow `W`: a -> b -> c -> a;"),
            "{msgs:?}"
        );
        assert!(
            msgs[0].contains("(this one, `c -> a.x`, closes the loop)"),
            "{msgs:?}"
        );
    }

    #[test]
    fn a_self_loop_is_a_cycle() {
        let msgs = messages(quote! { struct W { input u: u8, a = f(x: a, y: u) } });
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        assert!(
            msgs[0].starts_with("cycle in workflow `W`: a -> a;"),
            "{msgs:?}"
        );
    }

    #[test]
    fn an_unknown_source_is_not_also_an_unused_input() {
        let msgs = messages(quote! { struct W { input url: u8, a = f(url: W) } });
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        assert!(
            msgs[0].starts_with("unknown source `W` for port `url`"),
            "{msgs:?}"
        );
    }

    #[test]
    fn an_unused_input_is_an_error() {
        assert_eq!(
            messages(quote! { struct W { input u: u8, input v: u8, a = f(u) } }),
            ["input `v` is not used by any node; connect it (e.g. `node_fn(v)`) or remove it"]
        );
    }

    #[test]
    fn an_empty_workflow_does_not_also_report_unused_inputs() {
        let msgs = messages(quote! { struct W { input u: u8 } });
        assert_eq!(
            msgs,
            ["a workflow needs at least one node binding, like `out = my_node(input)`"]
        );
    }

    #[test]
    fn all_errors_are_reported_in_one_pass() {
        let msgs = messages(quote! {
            struct W { input u: u8, input v: u8, a = f(u), a = g(x: zz), b = h(x: a, x: a), c = k(x: c) }
        });
        // (`v` is unused, but next to the unknown source `zz` that is not reported: see
        // `an_unknown_source_is_not_also_an_unused_input`.)
        assert_eq!(msgs.len(), 4, "{msgs:?}");
        assert!(msgs[0].contains("already a node binding"), "{msgs:?}");
        assert!(msgs[1].contains("unknown source `zz`"), "{msgs:?}");
        assert!(msgs[2].contains("connected twice"), "{msgs:?}");
        assert!(msgs[3].contains("cycle"), "{msgs:?}");
    }

    #[test]
    fn a_valid_workflow_has_no_errors() {
        assert!(messages(quote! {
            #[workflow(timeout = "1s")]
            struct W { input u: u8, a = f(u), b = g(x: a, y: a.0), #[output] c = h(a, u) }
        })
        .is_empty());
    }
}
