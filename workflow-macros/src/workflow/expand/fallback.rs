//! What `workflow!` emits next to its errors: the workflow type, its input and output
//! structs and a stub `Workflow` impl, so that code using them does not add errors of its
//! own (and IDEs keep completing). Names declared twice are emitted once.
//!
//! Input: a workflow that failed a check. Output:
//! ```text
//! type __EtlInput_url = String; type __EtlNode_sum = total;  // as in `expand`
//! pub struct Etl; pub struct EtlInput { pub url: String } pub struct EtlOutput { pub sum: Output<total> }
//! impl Workflow for Etl { type State = (); type Value = (); const PLAN = &Plan { nodes: &[], .. }; .. unreachable bodies }
//! ```

use std::collections::HashSet;

use proc_macro2::TokenStream;
use quote::quote;

use super::{input_alias, input_struct_name, node_alias, output_struct_name};
use crate::codegen::{default_crate, private};
use crate::workflow::graph::Workflow;

pub(crate) fn fallback(w: &Workflow<'_>) -> TokenStream {
    let def = w.def;
    let krate = w.attrs.options.krate.clone().unwrap_or_else(default_crate);
    let p = private(&krate);
    let (vis, name) = (&def.vis, &def.name);
    let name_str = name.to_string();
    let input_name = input_struct_name(name);
    let output_name = output_struct_name(name);
    let attrs = &w.attrs.other;

    let mut seen = HashSet::new();
    let mut input_fields = Vec::new();
    let mut input_alias_items = Vec::new();
    for input in &def.inputs {
        if !seen.insert(input.name.to_string()) {
            continue;
        }
        let alias = input_alias(name, input);
        let (ident, ty, docs) = (&input.name, &input.ty, &input.attrs);
        input_alias_items.push(quote! {
            #[doc(hidden)]
            #[allow(non_camel_case_types)]
            type #alias = #ty;
        });
        input_fields.push(quote!(#(#docs)* pub #ident: #alias,));
    }
    let mut output_fields = Vec::new();
    let mut node_alias_items = Vec::new();
    for (i, b) in def.bindings.iter().enumerate() {
        if !seen.insert(b.name.to_string()) {
            continue;
        }
        let alias = node_alias(name, b);
        let path = &b.node;
        node_alias_items.push(quote! {
            #[doc(hidden)]
            #[allow(non_camel_case_types)]
            type #alias = #path;
        });
        if w.graph.nodes[i].is_output {
            let (ident, docs) = (&b.name, &w.bindings[i].docs);
            output_fields.push(quote!(#(#docs)* pub #ident: #p::Output<#alias>,));
        }
    }

    quote! {
        #(#input_alias_items)*
        #(#node_alias_items)*

        #(#attrs)*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
        #vis struct #name;

        #[allow(missing_docs, missing_debug_implementations)]
        #vis struct #input_name {
            #(#input_fields)*
        }

        #[allow(missing_docs, missing_debug_implementations)]
        #vis struct #output_name {
            #(#output_fields)*
        }

        #[allow(non_local_definitions, clippy::all, clippy::pedantic, clippy::nursery)]
        const _: () = {
            impl #p::Workflow for #name {
                type Input = #input_name;
                type Output = #output_name;
                const NAME: &'static str = #name_str;
                const TOPOLOGICAL_ORDER: &'static [&'static str] = &[];
                const MERMAID: &'static str = "";
                const DOT: &'static str = "";
                type State = ();
                type Value = ();
                const PLAN: &'static #p::Plan = &#p::Plan {
                    name: #name_str,
                    nodes: &[],
                    policy: #p::WorkflowPolicy::DEFAULT,
                };
                fn init(_: Self::Input) -> Self::State {}
                fn run(
                    _: #p::Executor<Self>,
                ) -> impl #p::Future<Output = #p::Outcome<Self::Output>> + ::core::marker::Send {
                    // Never called: this workflow did not compile.
                    ::core::future::pending()
                }
                fn store(_: &mut Self::State, _: Self::Value) {}
                fn finish(_: &mut Self::State) -> Self::Output {
                    ::core::unreachable!("this workflow did not compile")
                }
            }
        };
    }
}
