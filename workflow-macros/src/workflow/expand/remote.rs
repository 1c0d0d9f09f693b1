//! `#[workflow(durable)]`: `impl NodeByNode`, which runs one node by itself from a state
//! holding only what its ports read (what an engine that runs nodes elsewhere, such as
//! `workflow-temporal`, calls once per node and attempt).
//!
//! The ports are built by the same code as in the run's cell table (`ports_literal`), so
//! field projections, clones and the per-edge type checks are the same.

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::quote;
use syn::Ident;

use super::WorkflowGen;
use crate::workflow::resolve::Origin;

impl WorkflowGen<'_> {
    /// `impl NodeByNode`: which inputs and nodes each node reads, a blank state, and a
    /// call of one node from a state.
    pub(super) fn remote_impl(&self) -> TokenStream {
        let p = &self.p;
        let name = self.name;
        let edges = self.numbered_edges();

        let mut node_inputs = Vec::new();
        let mut node_sources = Vec::new();
        for links in &self.g.nodes {
            let mut inputs = BTreeSet::new();
            let mut sources = BTreeSet::new();
            for e in &links.edges {
                match e.from {
                    Origin::Input(k) => inputs.insert(k),
                    Origin::Node(j) => sources.insert(j),
                    // Only in an arm, and a workflow with decisions gets no `NodeByNode`.
                    Origin::Pattern(..) => false,
                };
            }
            let (inputs, sources) = (inputs.into_iter(), sources.into_iter());
            node_inputs.push(quote!(&[#(#inputs),*]));
            node_sources.push(quote!(&[#(#sources),*]));
        }

        let output_nodes = self.output_bindings();
        let input_idents = self.def.inputs.iter().map(|i| &i.name);
        let node_idents = self.def.bindings.iter().map(|b| &b.name);
        let call_arms = (0..self.g.nodes.len()).map(|i| {
            let b = &self.def.bindings[i];
            let alias = &self.node_aliases[i];
            let ident = &b.name;
            let literal = Ident::new(&alias.to_string(), b.node_span());
            let ports = self.ports_literal(i, &literal, &edges);
            quote! {
                #i => {
                    let ports = #ports;
                    #p::Box::pin(async move {
                        match <#alias as #p::Node>::call(ports, ctx).await {
                            #p::Result::Ok(v) => #p::Result::Ok(__WorkflowValue::#ident(v)),
                            #p::Result::Err(e) => #p::Result::Err(e),
                        }
                    })
                }
            }
        });

        quote! {
            #[automatically_derived]
            #[allow(unused_qualifications, unused_variables, clippy::all)]
            impl #p::NodeByNode for #name {
                const NODE_INPUTS: &'static [&'static [usize]] = &[#(#node_inputs),*];
                const NODE_SOURCES: &'static [&'static [usize]] = &[#(#node_sources),*];
                const OUTPUT_NODES: &'static [usize] = &[#(#output_nodes),*];
                fn blank_state() -> Self::State {
                    __WorkflowState {
                        #( #input_idents: #p::Slot::empty(1), )*
                        #( #node_idents: #p::Slot::empty(1), )*
                    }
                }
                fn call_node(
                    state: &mut Self::State,
                    node: usize,
                    ctx: #p::Context,
                ) -> #p::Pin<#p::Box<dyn #p::Future<Output = #p::NodeResult<Self::Value>> + ::core::marker::Send>> {
                    match node {
                        #(#call_arms)*
                        _ => ::core::unreachable!("workflow node index out of range"),
                    }
                }
            }
        }
    }
}
