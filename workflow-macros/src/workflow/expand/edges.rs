//! The value of every port: taken (or cloned) from its source's slot, projected to a
//! field, checked for `Clone` where needed, and passed through a per-edge trait so that
//! a type mismatch names the edge. That trait is `<Workflow>_<binding>::<port>` (a
//! module per binding, a trait per port), so rustc's own line about it reads in the
//! DSL's terms: "the trait `raw<Vec<u8>>` is not implemented for `String`", or where
//! another port is named `raw`, "the trait `Etl_parse::raw<Vec<u8>>` ..". Every token of an edge's check carries the span of
//! its source (`fetch` in `parse(raw: fetch)`), so a type error lands there.

use std::collections::HashSet;

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::{Ident, Member};

use super::run::AtRead;
use super::WorkflowGen;
use crate::codegen::respan;
use crate::workflow::ast::{path_text, FanOut, FanOutBody};
use crate::workflow::resolve::{Edge, Origin};

/// The edges of the whole workflow, numbered in binding and port order.
pub(super) struct NumberedEdge<'a> {
    /// The consuming binding.
    pub(super) node: usize,
    pub(super) edge: &'a Edge,
    /// The port, spanned at the source: the edge's trait, in the binding's module.
    pub(super) trait_name: Ident,
    /// Whether this is the first edge from its source (the one that checks `Clone`).
    pub(super) first_from_source: bool,
}

/// The edges into binding `i`: one run of `edges`, which are numbered in binding order
/// (found by binary search: a scan of all edges per binding was quadratic in a
/// workflow's size, issue 17).
pub(super) fn edges_into<'e, 'a>(
    edges: &'e [NumberedEdge<'a>],
    i: usize,
) -> &'e [NumberedEdge<'a>] {
    let start = edges.partition_point(|e| e.node < i);
    let len = edges[start..].partition_point(|e| e.node == i);
    &edges[start..start + len]
}

impl WorkflowGen<'_> {
    pub(super) fn numbered_edges(&self) -> Vec<NumberedEdge<'_>> {
        let mut sources = HashSet::new();
        let mut out = Vec::new();
        for (node, links) in self.g.nodes.iter().enumerate().take(self.g.bindings) {
            for edge in &links.edges {
                let mut trait_name = edge.port.clone();
                trait_name.set_span(edge.source.span());
                out.push(NumberedEdge {
                    node,
                    edge,
                    trait_name,
                    first_from_source: sources.insert((
                        self.slot_ident(edge.from, &edge.source.root).to_string(),
                        edge.source.text(),
                    )),
                });
            }
        }
        out
    }

    /// `Etl_parse`: the module of the edge traits of binding `parse` in workflow `Etl`.
    /// rustc names a trait by its path only when its name is not unique in the crate
    /// (two ports `raw`), and a module by its own path only when that name is not unique
    /// either: named after the binding alone, it would clash with the node fn of the same
    /// name (`parse = parse(..)`) or a binding of another workflow, and rustc would print
    /// the anonymous block around it, `_::parse::raw`.
    pub(super) fn edge_module(&self, node: usize, span: proc_macro2::Span) -> Ident {
        let binding = syn::ext::IdentExt::unraw(&self.module_ident(node));
        quote::format_ident!(
            "{}_{}",
            self.name_str.trim_start_matches("r#"),
            binding,
            span = span
        )
    }

    /// One trait per edge. `Self` is the port type. It is still unknown while rustc
    /// checks the call, so rustc cannot infer it from the identity impl and reports a
    /// mismatch through this trait (with the edge named) instead of a bare E0308.
    pub(super) fn edge_traits(&self) -> TokenStream {
        let edges = self.numbered_edges();
        (0..self.def.bindings.len())
            .filter(|&i| !edges_into(&edges, i).is_empty() || self.owner(i) != i)
            .map(|i| {
                let module = self.edge_module(i, self.def.bindings[i].name.span());
                let traits = edges_into(&edges, i).iter().map(|e| self.edge_trait(e));
                let merge = if self.owner(i) == i {
                    TokenStream::new()
                } else {
                    self.merge_trait(i)
                };
                let item = self.fan_out_item_trait(i);
                // `dead_code`: a workflow that is declared but not (yet) executed would
                // otherwise warn "trait `x` is never used" at a port's source.
                quote! {
                    #[doc(hidden)]
                    #[allow(non_snake_case, non_camel_case_types, dead_code)]
                    mod #module {
                        #(#traits)*
                        #merge
                        #item
                    }
                }
            })
            .collect()
    }

    /// For `xs = for x in list { d = node(port: x), } => d`, whose item takes the type
    /// of the port `x` feeds, and for `xs = map(W, list)`: the trait `Item` that each
    /// item passes through on its way into its child run, so that a list of other items
    /// is one error naming the port (or workflow).
    fn fan_out_item_trait(&self, i: usize) -> TokenStream {
        let b = &self.def.bindings[i];
        let Some(FanOut { items, body }) = &b.fan_out else {
            return TokenStream::new();
        };
        let (binding, list) = (&b.name, items.text());
        let (message, note, label) = match body {
            FanOutBody::For { var, bindings, .. } => {
                let Some((j, port)) = super::fanout::item_consumer(var, bindings) else {
                    return TokenStream::new();
                };
                let (consumer, node_fn) = (&bindings[j].name, path_text(&bindings[j].node));
                (
                    format!("the items of `{list}` are `{{S}}`, but `{binding} = for {var} in {list}` feeds each to port `{port}` of `{consumer} = {node_fn}(..)`, which takes `{{Self}}`"),
                    format!("fan out over a list of `{{Self}}`, or convert `{var}` in a node of the body first"),
                    "a list of `{S}`",
                )
            }
            FanOutBody::Map { workflow } => {
                let workflow = path_text(workflow);
                (
                    format!("the items of `{list}` are `{{S}}`, but `{binding} = map({workflow}, {list})` runs `{workflow}` on each, and its input takes `{{Self}}`"),
                    "map over a list of `{Self}`, or convert the items in a node first".to_owned(),
                    "takes `{Self}`, not `{S}`",
                )
            }
        };
        let span = items.root.span();
        from_source_trait(span, &Ident::new("Item", span), &message, label, &note)
    }

    fn edge_trait(&self, e: &NumberedEdge<'_>) -> TokenStream {
        let b = &self.def.bindings[e.node];
        let (edge, trait_name) = (e.edge, &e.trait_name);
        let span = edge.source.span();
        let source = edge.source.text();
        let (binding, port, node_fn) = (&b.name, &edge.port, path_text(&b.node));
        // A fan-out's ports struct is generated (`__EtlFan_thumbs`): say what the fan-out
        // does with the value instead (only a pattern binding, typed by the body's ports,
        // can disagree with it here).
        if let Some(f) = &b.fan_out {
            let is_list = b.args.first().is_some_and(|a| a.port == *port);
            let (message, note) = match (&f.body, is_list) {
                (FanOutBody::For { var, .. }, true) => (
                    format!("`{source}` is `{{S}}`, but `{binding} = for {var} in {source}` needs `{{Self}}`: its body passes each item to a node port of the item's type"),
                    format!("fan out over a list of what the body's nodes take, or convert `{var}` in a node of the body first"),
                ),
                (FanOutBody::For { .. }, false) => (
                    format!("`{source}` is `{{S}}`, but the body of `{binding}` passes it to a node port that takes `{{Self}}`"),
                    "convert it in a node in between, or connect a source of the port's type inside the body".to_owned(),
                ),
                (FanOutBody::Map { workflow }, _) => (
                    format!("`{source}` is `{{S}}`, but `{binding} = map({}, {source})` needs `{{Self}}`: it runs the workflow on each item", path_text(workflow)),
                    "map over a list of the workflow's input type, or convert the items in a node first".to_owned(),
                ),
            };
            return from_source_trait(span, trait_name, &message, "this is `{S}`", &note);
        }
        let message = format!(
            "edge `{source} -> {binding}.{port}` carries `{{S}}`, but input `{port}` of `{node_fn}` takes `{{Self}}`"
        );
        let label = "this is `{S}`";
        // A sub-workflow's binding is its whole `…Output` struct; passing it where one of
        // its outputs was meant is the likely mistake, so that note names the field syntax.
        // The edge's producers are the bindings of that name (a scan of all bindings by
        // name per edge was quadratic in a workflow's size: issue 17, compile time).
        let sub_workflow = edge.source.fields.is_empty().then(|| {
            edge.producers
                .iter()
                .map(|&p| &self.def.bindings[p])
                .find(|s| s.fan_out.is_none() && super::render::is_workflow_path(&s.node))
        });
        let note = match sub_workflow.flatten() {
            _ if edge.source.optional.is_some() => format!(
                "`{source}?` is an `Option` (`None` when the arm that binds `{root}` did not run): take `Option<..>` in port `{port}` of `{node_fn}`, or bind `{root}` in every arm and connect it without `?`",
                root = edge.source.root
            ),
            Some(s) => format!(
                "`{source}` is the whole output struct of sub-workflow `{}`: to pass one of its outputs, connect a field, like `{port}: {source}.<output>`, or convert it in a node in between",
                path_text(&s.node)
            ),
            None => format!(
                "`{source}` feeds port `{port}` of `{binding} = {node_fn}(..)`; convert it in a node in between, or connect a source of type `{{Self}}`"
            ),
        };
        from_source_trait(span, trait_name, &message, label, &note)
    }

    /// `port: parse::port::__from_source(<value>),`: a field of the ports literal.
    pub(super) fn port_field(&self, e: &NumberedEdge<'_>) -> TokenStream {
        let port = &e.edge.port;
        let checked = self.port_value(e);
        quote!(#port: #checked,)
    }

    /// `parse::port::__from_source(<value>)`: the checked value of a port.
    pub(super) fn port_value(&self, e: &NumberedEdge<'_>) -> TokenStream {
        self.port_value_at(e, None)
    }

    /// [`port_value`](Self::port_value), where with `at` a source in a slot group is
    /// read in the window of a ports fn that nodes of one shape share (see `run.rs`,
    /// `PortsShapes`, `AtRead`), not at its own index.
    pub(super) fn port_value_at(&self, e: &NumberedEdge<'_>, at: Option<AtRead>) -> TokenStream {
        let span = e.edge.source.span();
        let value = self.retry_checked(
            e.node,
            self.slot_read(e.edge, e.first_from_source, at),
            span,
        );
        self.checked_port_value(e, value)
    }

    /// `parse::port::__from_source(<value>)` for a given value of edge `e`'s source (a
    /// fused segment's previous output, see `fuse.rs`).
    pub(super) fn checked_port_value(
        &self,
        e: &NumberedEdge<'_>,
        value: TokenStream,
    ) -> TokenStream {
        let span = e.edge.source.span();
        let trait_name = &e.trait_name;
        let module = self.edge_module(e.node, span);
        let method = Ident::new("__from_source", span);
        quote_spanned!(span=> #module::#trait_name::#method(#value))
    }

    /// What a decision's router matches: read like a port's value (without a port).
    /// It checks `Clone` only when no port edge (nor an earlier router) reads the same
    /// source, which then checks it: a non-`Clone` output that is matched on and fed to
    /// a node is one error, not one at the `match` and one at the port.
    pub(super) fn router_value(&self, router: usize, edge: &Edge) -> TokenStream {
        let key = |e: &Edge| {
            (
                self.slot_ident(e.from, &e.source.root).to_string(),
                e.source.text(),
            )
        };
        let read_by_a_port = self
            .numbered_edges()
            .iter()
            .any(|e| key(e.edge) == key(edge));
        let read_by_an_earlier_router = (self.g.bindings..router)
            .filter_map(|r| self.g.nodes[r].edges.first())
            .any(|e| key(e) == key(edge));
        self.slot_read(edge, !read_by_a_port && !read_by_an_earlier_router, None)
    }

    /// Reads of the slot `edge` reads from, in one run (more than one: it is cloned
    /// for all but the last reader).
    fn consumers_of(&self, edge: &Edge) -> u32 {
        match edge.from {
            Origin::Input(k) => self.g.input_consumers[k],
            Origin::Node(j) => self.g.nodes[j].consumers,
            Origin::Pattern(arm, k) => self
                .g
                .pattern_consumers
                .get(&(arm, k))
                .copied()
                .unwrap_or(1),
        }
    }

    /// Whether building binding `i`'s ports may clone a value (one that another node,
    /// or the workflow's output, reads too): the user's `Clone` then runs as the node
    /// starts (see `start_node_sharing`).
    pub(super) fn reads_shared(&self, i: usize) -> bool {
        self.g.nodes[i]
            .edges
            .iter()
            .any(|e| self.consumers_of(e) > 1)
    }

    /// The value an edge carries, taken from its source's slot in `state` (in a shared
    /// ports fn's window with `at`, see [`port_value_at`](Self::port_value_at));
    /// for a `name?` source, an `Option` of it. A value with several consumers is cloned
    /// for all but the last one to start. The first edge from a source checks `Clone`
    /// (one error, on that edge); the others clone through a probe that cannot fail to
    /// compile.
    fn slot_read(&self, edge: &Edge, first_from_source: bool, at: Option<AtRead>) -> TokenStream {
        let span = edge.source.span();
        let p_at = respan(self.p.clone(), span);
        let root = &self.source_place(edge.from, &edge.source.root, span, at);
        let consumers = self.consumers_of(edge);
        let optional = edge.source.optional.is_some();
        let projection: Vec<TokenStream> = edge
            .source
            .fields
            .iter()
            .map(|m| match m {
                Member::Named(id) => quote!(.#id),
                Member::Unnamed(ix) => quote!(.#ix),
            })
            .collect();
        if optional {
            let projected = if projection.is_empty() {
                quote!()
            } else {
                quote_spanned!(span=> .map(|v| v #(#projection)*))
            };
            return if consumers <= 1 {
                quote_spanned!(span=> state.#root.take_opt() #projected)
            } else {
                quote_spanned!(span=> state.#root.consume_opt(
                    |v| <_ as #p_at::SharedOutput>::__share(v),
                    |v| v,
                ) #projected)
            };
        }
        if consumers <= 1 {
            quote_spanned!(span=> state.#root.take() #(#projection)*)
        } else if first_from_source {
            quote_spanned!(span=> state.#root.consume(
                |v| {
                    <_ as #p_at::SharedOutput>::__share(&(*v) #(#projection)*)
                },
                |v| v #(#projection)*,
            ))
        } else {
            quote_spanned!(span=> state.#root.consume(
                |v| {
                    #[allow(unused_imports)]
                    use #p_at::{ViaClone as _, ViaNoClone as _};
                    match (&&#p_at::CloneProbe(&(*v) #(#projection)*)).probe_clone() {
                        #p_at::Option::Some(v) => v,
                        #p_at::Option::None => #p_at::unreachable_clone(),
                    }
                },
                |v| v #(#projection)*,
            ))
        }
    }

    /// A retried node's inputs must be `Clone`: checked on the value, spanned at
    /// `#[retry]`, the cause, rather than the edge (where rustc would suggest borrowing
    /// the source, which is no fix).
    fn retry_checked(
        &self,
        node: usize,
        value: TokenStream,
        span: proc_macro2::Span,
    ) -> TokenStream {
        let Some(retry) = &self.w.bindings[node].policy.retry else {
            return value;
        };
        let p_retry = respan(self.p.clone(), retry.span);
        // Whether the retry can run; when it cannot, `dead_retry_checks` reports that
        // and this asks for no `Clone`.
        let runs = if self.w.bindings[node].policy.timeout.is_some() {
            quote!(true)
        } else {
            let path = &self.node_aliases[node];
            let p = &self.p;
            quote!({
                <#path as #p::Node>::FALLIBLE || <#path as #p::Node>::POLICY.timeout.is_some()
            })
        };
        let check =
            quote_spanned!(retry.span=> <_ as #p_retry::RetriedInput<#runs>>::__retried_input(&v));
        quote_spanned!(span=> {
            let v = #value;
            #check;
            v
        })
    }
}

/// A conversion trait implemented only as the identity (`T: Trait<T>`), so that a source
/// of another type than its target fails at `span` with `message`, `label` and `note`
/// (`{S}` the source's type, `{Self}` the target's), said in the DSL's terms.
fn from_source_trait(
    span: Span,
    trait_name: &Ident,
    message: &str,
    label: &str,
    note: &str,
) -> TokenStream {
    let method = Ident::new("__from_source", span);
    quote_spanned! {span=>
        #[diagnostic::on_unimplemented(message = #message, label = #label, note = #note)]
        #[doc(hidden)]
        pub(super) trait #trait_name<S> {
            fn #method(source: S) -> Self;
        }
        impl<T> #trait_name<T> for T {
            #[inline]
            fn #method(source: T) -> T {
                source
            }
        }
    }
}
