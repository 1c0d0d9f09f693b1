//! `#[workflow(durable)]`: `impl NodeByNode`, which runs one node by itself from a state
//! holding only what its call reads (what an engine that runs nodes elsewhere, such as
//! `workflow-temporal`, calls once per node and attempt).
//!
//! The ports are built by the same code as in the run's cell table (`ports_literal`), so
//! field projections, clones and the per-edge type checks are the same; a router is
//! evaluated by the same block as in the cell table (`router_body`).
//!
//! A node inside an arm that reads a pattern binding (`o` in `Triage::Small(o)`) is
//! called with its decision's router output (the arm the run took) and what the router
//! matches: the call stores the arm in `__forced<d>` and evaluates the router again, held
//! to that arm, which puts the pattern binding in its slot; then it builds the node's
//! ports. Nested decisions are evaluated outermost first.

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::quote;
use syn::Ident;

use super::WorkflowGen;
use crate::workflow::resolve::Origin;

/// What one node's call reads.
#[derive(Default)]
struct Reads {
    inputs: BTreeSet<usize>,
    /// Node indices, by slot owner.
    sources: BTreeSet<usize>,
    /// The decisions whose pattern bindings it reads, directly or through an inner
    /// decision's router.
    decisions: BTreeSet<usize>,
}

impl WorkflowGen<'_> {
    /// What node `i`'s call reads: its edges' origins, and for a pattern binding, the
    /// router of its decision (its recorded arm) and what that router reads, recursively.
    fn remote_reads(&self, i: usize) -> Reads {
        let mut reads = Reads::default();
        let mut pending = vec![i];
        let mut visited = BTreeSet::new();
        while let Some(n) = pending.pop() {
            if !visited.insert(n) {
                continue;
            }
            for e in &self.g.nodes[n].edges {
                match e.from {
                    Origin::Input(k) => {
                        reads.inputs.insert(k);
                    }
                    Origin::Node(j) => {
                        reads.sources.insert(j);
                    }
                    Origin::Pattern(arm, _) => {
                        let router = self.router(arm.decision);
                        reads.decisions.insert(arm.decision);
                        reads.sources.insert(router);
                        pending.push(router);
                    }
                }
            }
        }
        reads
    }

    /// `impl NodeByNode`: which inputs and nodes each node reads, a blank state, and a
    /// call of one node (or router) from a state.
    pub(super) fn remote_impl(&self) -> TokenStream {
        let p = &self.p;
        let name = self.name;
        let edges = self.numbered_edges();
        let bindings = self.def.bindings.len();
        let all = self.g.nodes.len();

        let reads: Vec<Reads> = (0..all).map(|i| self.remote_reads(i)).collect();
        let node_inputs = reads.iter().map(|r| {
            let inputs = r.inputs.iter();
            quote!(&[#(#inputs),*])
        });
        let node_sources = reads.iter().map(|r| {
            let sources = r.sources.iter();
            quote!(&[#(#sources),*])
        });
        let node_slot = (0..all).map(|i| if i < bindings { self.owner(i) } else { i });

        // A router is evaluated again, held to its recorded arm, before the call of a
        // node that reads its pattern bindings: outer decisions first.
        let replays = |i: usize| {
            let mut decisions: Vec<usize> = reads[i].decisions.iter().copied().collect();
            decisions.sort_by_key(|&d| (self.def.decisions[d].scope.len(), d));
            let replays = decisions.into_iter().map(|d| {
                let route = route_fn(d);
                quote! {
                    if let #p::Result::Err(e) = #route(state) {
                        return #p::Box::pin(async move {
                            #p::Result::Err(#p::NodeCallError::Error(e.into()))
                        });
                    }
                }
            });
            quote!(#(#replays)*)
        };

        let output_nodes = self.output_bindings();
        let input_idents = self.def.inputs.iter().map(|i| &i.name);
        let node_idents = self
            .slot_owners()
            .into_iter()
            .filter(|&i| self.own_field(i))
            .map(|i| &self.def.bindings[i].name);
        let (_, groups) = self.group_fields(true);
        let pattern_idents = self.pattern_slots().into_iter().map(|(slot, _, _)| slot);
        let forced = (0..self.def.decisions.len()).map(Self::forced_field);
        let blank = self.state_value(quote! {
            __WorkflowState {
                #( #input_idents: #p::Slot::empty(u32::MAX), )*
                #( #node_idents: #p::Slot::empty(u32::MAX), )*
                #groups
                #( #pattern_idents: #p::Slot::empty(u32::MAX), )*
                #( #forced: #p::Option::None, )*
            }
        });
        let call_arms = (0..bindings).map(|i| {
            let b = &self.def.bindings[i];
            let alias = &self.node_aliases[i];
            let literal = Ident::new(&alias.to_string(), b.node_span());
            let ports = self.ports_literal(i, &literal, &edges);
            let wrap = self.value_wrap(i);
            let replays = replays(i);
            quote! {
                #i => {
                    #replays
                    let ports = #ports;
                    #p::Box::pin(async move {
                        match <#alias as #p::Node>::call(ports, ctx).await {
                            #p::Result::Ok(v) => #p::Result::Ok((#wrap)(v)),
                            #p::Result::Err(e) => #p::Result::Err(e),
                        }
                    })
                }
            }
        });
        let router_arms = (0..self.def.decisions.len()).map(|d| {
            let index = self.router(d);
            let replays = replays(index);
            let route = route_fn(d);
            quote! {
                #index => {
                    #replays
                    let __routed = #route(state);
                    #p::Box::pin(async move {
                        __routed.map_err(|e| #p::NodeCallError::Error(e.into()))
                    })
                }
            }
        });

        // Each router once, called by its own activity and by the nodes that read its
        // pattern bindings.
        let route_fns = (0..self.def.decisions.len()).map(|d| {
            let route = route_fn(d);
            let body = self.router_body(d);
            quote! {
                #[allow(non_snake_case, unused_variables, unreachable_code, clippy::all)]
                fn #route(state: &mut __WorkflowState) -> #p::Result<__WorkflowValue, ::std::string::String>
                    #body
            }
        });

        quote! {
            #(#route_fns)*

            #[automatically_derived]
            #[allow(unused_qualifications, unused_variables, unreachable_code, clippy::all)]
            impl #p::NodeByNode for #name {
                const NODE_INPUTS: &'static [&'static [usize]] = &[#(#node_inputs),*];
                const NODE_SOURCES: &'static [&'static [usize]] = &[#(#node_sources),*];
                const NODE_SLOT: &'static [usize] = &[#(#node_slot),*];
                const OUTPUT_NODES: &'static [usize] = &[#(#output_nodes),*];
                fn blank_state() -> Self::State {
                    // Every slot holds a value for as many reads as a call makes: a
                    // shared value is cloned, never moved out by the first read.
                    #blank
                }
                fn call_node(
                    state: &mut Self::State,
                    node: usize,
                    ctx: #p::Context,
                ) -> #p::Pin<#p::Box<dyn #p::Future<Output = #p::NodeResult<Self::Value>> + ::core::marker::Send>> {
                    match node {
                        #(#call_arms)*
                        #(#router_arms)*
                        _ => ::core::unreachable!("workflow node index out of range"),
                    }
                }
            }
        }
    }
}

/// `__workflow_remote_route<d>`: decision `d`'s router as a fn of the state.
pub(super) fn route_fn(d: usize) -> Ident {
    quote::format_ident!("__workflow_remote_route{}", d)
}
