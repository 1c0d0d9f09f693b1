//! The run: the state that holds every value (`__WorkflowState`), the enum a finished
//! node's output travels in (`__WorkflowValue`), and the `Workflow` methods `init`,
//! `run` (one arm per node that builds its ports and starts it), `store` and `finish`.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::Ident;

use super::edges::NumberedEdge;
use super::WorkflowGen;

impl WorkflowGen<'_> {
    /// `__WorkflowState` (one slot per input and per binding) and `__WorkflowValue`.
    pub(super) fn state_types(&self) -> TokenStream {
        let p = &self.p;
        let input_idents = self.def.inputs.iter().map(|i| &i.name);
        let input_types = &self.input_aliases;
        let node_idents: Vec<_> = self.def.bindings.iter().map(|b| &b.name).collect();
        let node_outputs = self.node_outputs();
        quote! {
            #[doc(hidden)]
            #[allow(non_snake_case, dead_code)]
            pub struct __WorkflowState {
                #( #input_idents: #p::Slot<#input_types>, )*
                #( #node_idents: #p::Slot<#node_outputs>, )*
            }

            #[doc(hidden)]
            #[allow(non_camel_case_types)]
            pub enum __WorkflowValue {
                #( #node_idents(#node_outputs), )*
            }
        }
    }

    /// `init`, `run`, `store` and `finish`.
    pub(super) fn methods(&self) -> TokenStream {
        let init = self.init_fn();
        let run = self.run_fn();
        let store = self.store_fn();
        let finish = self.finish_fn();
        quote!(#init #run #store #finish)
    }

    /// `init`: the inputs fill their slots; each slot knows how many ports it feeds.
    fn init_fn(&self) -> TokenStream {
        let p = &self.p;
        let input_name = &self.input_name;
        let input_idents: Vec<_> = self.def.inputs.iter().map(|i| &i.name).collect();
        let input_counts = &self.g.input_consumers;
        let node_idents = self.def.bindings.iter().map(|b| &b.name);
        // A node without consumers still has one reader: the output struct.
        let node_counts = self.g.nodes.iter().map(|n| n.consumers.max(1));
        quote! {
            fn init(input: Self::Input) -> Self::State {
                let #input_name { #(#input_idents),* } = input;
                __WorkflowState {
                    #( #input_idents: #p::Slot::filled(#input_idents, #input_counts), )*
                    #( #node_idents: #p::Slot::empty(#node_counts), )*
                }
            }
        }
    }

    /// `run`: the executor's loop over one pinned future cell per node.
    fn run_fn(&self) -> TokenStream {
        let p = &self.p;
        let cells = self.future_cells();
        let start_arms = self.start_arms(&cells);
        quote! {
            fn run(
                exec: #p::Executor<Self>,
            ) -> impl #p::Future<Output = #p::Outcome<Self::Output>> + ::core::marker::Send {
                // Boxed here, where the (large) future is built, so that it is
                // written straight into its allocation rather than copied there.
                #p::Box::pin(async move {
                    #( let mut #cells = #p::pin!(#p::Option::None); )*
                    exec.run(
                        move |state: &mut __WorkflowState, node: usize, op: #p::Op<'_, '_>| {
                            match node {
                                #(#start_arms)*
                                _ => ::core::unreachable!("workflow node index out of range"),
                            }
                        },
                    )
                    .await
                })
            }
        }
    }

    /// One pinned cell per node, where its future lives while it runs (hygienic names).
    fn future_cells(&self) -> Vec<Ident> {
        (0..self.g.nodes.len())
            .map(|i| Ident::new(&format!("__workflow_slot{i}"), Span::mixed_site()))
            .collect()
    }

    /// `i => step(cell_i, i, op, |starter| starter.future(i, ports, ..), ..)`: builds
    /// node `i`'s ports from the state and starts (or polls) it.
    fn start_arms(&self, cells: &[Ident]) -> Vec<TokenStream> {
        let p = &self.p;
        let edges = self.numbered_edges();
        (0..self.g.nodes.len())
            .map(|i| {
                let b = &self.def.bindings[i];
                let alias = &self.node_aliases[i];
                let ident = &b.name;
                let cell = &cells[i];
                // Named at the node path, so a missing port is reported there.
                let literal = Ident::new(&alias.to_string(), b.node_span());
                let ports = self.ports_literal(i, &literal, &edges);
                quote! {
                    #i => #p::step(
                        #cell.as_mut(),
                        #i,
                        op,
                        |starter| {
                            let ports = #ports;
                            starter.future::<#alias, __WorkflowValue>(#i, ports, __WorkflowValue::#ident)
                        },
                        __WorkflowValue::#ident,
                    ),
                }
            })
            .collect()
    }

    /// The ports of binding `i`, built from its edges: through the node's ports callback
    /// (`fetch! { .. }`, see `ports.rs`), which says a port mistake in ports; for a node
    /// without one, as a struct literal, whose mistakes rustc reports (the literal
    /// carries the user's span, so rustc suggests `raw` for a misspelt `rwa`).
    fn ports_literal(&self, i: usize, literal: &Ident, edges: &[NumberedEdge<'_>]) -> TokenStream {
        let b = &self.def.bindings[i];
        let edges = edges.iter().filter(|e| e.node == i);
        if !b.has_ports_callback() {
            let fields = edges.map(|e| self.port_field(e));
            return quote::quote_spanned!(b.node_span()=> #literal { #(#fields)* });
        }
        let p = &self.p;
        let path = &b.node;
        let args = edges.map(|e| {
            let port = &e.edge.port;
            let value = self.port_value(e);
            let last = match e.edge.source.fields.last() {
                Some(syn::Member::Named(id)) => Some(id),
                Some(syn::Member::Unnamed(_)) => None,
                None => Some(&e.edge.source.root),
            };
            let shorthand = last.is_some_and(|l| l == port);
            quote!(#port #shorthand { #value })
        });
        quote!(#path! { {#p} #literal [ #(#args)* ] })
    }

    /// `store`: a finished node's value goes to its slot.
    fn store_fn(&self) -> TokenStream {
        let node_idents = self.def.bindings.iter().map(|b| &b.name);
        quote! {
            fn store(state: &mut Self::State, value: Self::Value) {
                match value {
                    #( __WorkflowValue::#node_idents(v) => state.#node_idents.put(v), )*
                }
            }
        }
    }

    /// `finish`: the output struct, from the slots of the output bindings.
    fn finish_fn(&self) -> TokenStream {
        let output_name = &self.output_name;
        let takes = self.output_bindings().map(|i| {
            let ident = &self.def.bindings[i].name;
            quote!(#ident: state.#ident.take(),)
        });
        quote! {
            fn finish(state: &mut Self::State) -> Self::Output {
                #output_name { #(#takes)* }
            }
        }
    }
}
