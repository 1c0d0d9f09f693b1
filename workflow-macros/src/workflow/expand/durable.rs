//! `#[workflow(durable)]`: `impl DurableWorkflow`, which encodes and decodes every value
//! a store keeps (the inputs, each node's output, the output struct), and the graph's
//! fingerprint.
//!
//! Every value goes through a trait of its own (`__WorkflowDurable<i>` for binding `i`,
//! `__WorkflowDurableInput<k>` for input `k`) implemented for every
//! `Serialize + DeserializeOwned` type, so a value that is not gets one error naming the
//! node (or input) and its type, spanned at the binding.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};

use super::WorkflowGen;
use crate::workflow::ast::path_text;

impl WorkflowGen<'_> {
    /// The value traits and `impl DurableWorkflow`.
    pub(super) fn durable_impl(&self) -> TokenStream {
        let p = &self.p;
        let (name, name_str) = (self.name, &self.name_str);
        let node_outputs = self.node_outputs();
        let node_traits: Vec<_> = (0..self.def.bindings.len())
            .map(|i| format_ident!("__WorkflowDurable{}", i))
            .collect();
        let input_traits: Vec<_> = (0..self.def.inputs.len())
            .map(|k| format_ident!("__WorkflowDurableInput{}", k))
            .collect();

        let mut traits = TokenStream::new();
        for (i, b) in self.def.bindings.iter().enumerate() {
            let message = format!(
                "node `{}` of durable workflow `{name_str}` outputs `{{Self}}`, which cannot be recorded",
                b.name
            );
            traits.extend(value_trait(p, &node_traits[i], &message));
        }
        for (k, input) in self.def.inputs.iter().enumerate() {
            let message = format!(
                "input `{}` of durable workflow `{name_str}` is `{{Self}}`, which cannot be recorded",
                input.name
            );
            traits.extend(value_trait(p, &input_traits[k], &message));
        }

        // Calls spanned at the binding (or input), where the error belongs.
        let node_names: Vec<String> = self
            .def
            .bindings
            .iter()
            .map(|b| b.name.to_string())
            .collect();
        // A merge's definitions share their first one's variant (and trait).
        let encode_arms = self.slot_owners().into_iter().map(|i| {
            let b = &self.def.bindings[i];
            let (ident, tr, what) = (&b.name, &node_traits[i], &node_names[i]);
            quote_spanned!(b.name.span()=> __WorkflowValue::#ident(v) => #tr::__encode(v, run, #what),)
        });
        let decode_arms = self.def.bindings.iter().enumerate().map(|(i, b)| {
            let owner = self.owner(i);
            let (ident, tr, what) = (
                &self.def.bindings[owner].name,
                &node_traits[owner],
                &node_names[i],
            );
            // `Self` inferred from the variant, so the bound is checked at this span.
            quote_spanned!(b.name.span()=>
                #i => #p::Result::Ok(__WorkflowValue::#ident(#tr::__decode(bytes, run, #what)?)),
            )
        });
        let type_arms = (0..self.def.bindings.len()).map(|i| {
            let ty = &node_outputs[self.owner(i)];
            quote!(#i => ::core::any::type_name::<#ty>(),)
        });
        // A router's value is the index of its arm.
        let routes: Vec<_> = (0..self.def.decisions.len())
            .map(|d| (self.router(d), Self::route_variant(d), self.router_name(d)))
            .collect();
        let route_encodes = routes.iter().map(|(_, variant, what)| {
            quote!(__WorkflowValue::#variant(arm) => #p::encode(arm, run, #what),)
        });
        let route_decodes = routes.iter().map(|(index, variant, what)| {
            quote!(#index => #p::Result::Ok(__WorkflowValue::#variant(#p::decode(bytes, run, #what)?)),)
        });
        let route_types = routes
            .iter()
            .map(|(index, _, _)| quote!(#index => "usize",));

        let input_name = &self.input_name;
        let input_idents: Vec<_> = self.def.inputs.iter().map(|i| &i.name).collect();
        let input_decodes = self.def.inputs.iter().enumerate().map(|(k, i)| {
            let (ident, tr) = (&i.name, &input_traits[k]);
            quote_spanned!(i.name.span()=>
                let #ident = #tr::__decode(parts.next().map_or(&[][..], |v| &v[..]), run, "input")?;
            )
        });
        let input_encodes = self.def.inputs.iter().enumerate().map(|(k, i)| {
            let (ident, tr) = (&i.name, &input_traits[k]);
            quote_spanned!(i.name.span()=> #tr::__encode(&input.#ident, run, "input")?,)
        });
        let input_count = self.def.inputs.len();

        let output_name = &self.output_name;
        let outs: Vec<usize> = self.output_bindings().collect();
        let out_idents: Vec<_> = outs.iter().map(|&i| &self.def.bindings[i].name).collect();
        let out_encodes = outs.iter().map(|&i| {
            let (ident, tr) = (&self.def.bindings[i].name, &node_traits[i]);
            quote_spanned!(ident.span()=> #tr::__encode(&output.#ident, run, "output")?,)
        });
        let out_decodes = outs.iter().map(|&i| {
            let (ident, tr) = (&self.def.bindings[i].name, &node_traits[i]);
            quote_spanned!(ident.span()=>
                let #ident = #tr::__decode(parts.next().map_or(&[][..], |v| &v[..]), run, "output")?;
            )
        });
        let out_count = outs.len();
        let fingerprint = self.fingerprint();

        quote! {
            #traits

            #[automatically_derived]
            #[allow(unused_qualifications, unused_variables, clippy::all)]
            impl #p::DurableWorkflow for #name {
                const FINGERPRINT: &'static str = #fingerprint;
                fn output_type(node: usize) -> &'static str {
                    match node {
                        #(#type_arms)*
                        #(#route_types)*
                        _ => "",
                    }
                }
                fn encode_input(input: &Self::Input) -> #p::Result<#p::Vec<u8>, #p::StoreError> {
                    let run: #p::Option<#p::RunId> = #p::Option::None;
                    #p::Result::Ok(#p::join_encoded(#p::vec![#(#input_encodes)*]))
                }
                fn decode_input(bytes: &[u8], run: #p::RunId) -> #p::Result<Self::Input, #p::StoreError> {
                    let parts = #p::split_encoded(bytes, run, "input", #input_count)?;
                    let mut parts = parts.iter();
                    #(#input_decodes)*
                    #p::Result::Ok(#input_name { #(#input_idents),* })
                }
                fn encode_value(value: &Self::Value, run: #p::RunId) -> #p::Result<#p::Vec<u8>, #p::StoreError> {
                    let run = #p::Option::Some(run);
                    match value {
                        #(#encode_arms)*
                        #(#route_encodes)*
                    }
                }
                fn decode_value(node: usize, bytes: &[u8], run: #p::RunId) -> #p::Result<Self::Value, #p::StoreError> {
                    match node {
                        #(#decode_arms)*
                        #(#route_decodes)*
                        _ => ::core::unreachable!("workflow node index out of range"),
                    }
                }
                fn encode_output(output: &Self::Output, run: #p::RunId) -> #p::Result<#p::Vec<u8>, #p::StoreError> {
                    let run = #p::Option::Some(run);
                    #p::Result::Ok(#p::join_encoded(#p::vec![
                        #(#out_encodes)*
                    ]))
                }
                fn decode_output(bytes: &[u8], run: #p::RunId) -> #p::Result<Self::Output, #p::StoreError> {
                    let parts = #p::split_encoded(bytes, run, "output", #out_count)?;
                    let mut parts = parts.iter();
                    #(#out_decodes)*
                    #p::Result::Ok(#output_name { #(#out_idents),* })
                }
            }
        }
    }

    /// `input url: String;page=fetch(url<-url);..`: what a run's rows were recorded
    /// against. Entries are compared one by one on resume, so a changed binding re-runs
    /// that node (and what depends on it) and leaves the others restorable.
    fn fingerprint(&self) -> String {
        let mut text = String::new();
        for input in &self.def.inputs {
            let ty = &input.ty;
            text.push_str(&format!("input {}: {};", input.name, quote!(#ty)));
        }
        // A merge is one entry (its name): its definitions, `|`-separated.
        for owner in self.slot_owners() {
            let name = &self.def.bindings[owner].name;
            let definitions: Vec<String> = (owner..self.def.bindings.len())
                .filter(|&i| self.owner(i) == owner)
                .map(|i| {
                    let ports: Vec<String> = self.g.nodes[i]
                        .edges
                        .iter()
                        .map(|e| format!("{}<-{}", e.port, e.source.text()))
                        .collect();
                    format!(
                        "{}({})",
                        path_text(&self.def.bindings[i].node),
                        ports.join(",")
                    )
                })
                .collect();
            text.push_str(&format!("{name}={};", definitions.join("|")));
        }
        // A decision is its patterns, not its guards: a resumed run takes its recorded
        // arm even when a guard changed, but not when the arms did.
        for (d, decision) in self.def.decisions.iter().enumerate() {
            let pats: Vec<String> = decision
                .arms
                .iter()
                .map(|a| {
                    let pat = &a.pat;
                    crate::workflow::ast::tokens_text(&quote!(#pat))
                })
                .collect();
            text.push_str(&format!(
                "{}={} {}{{{}}};",
                self.router_name(d),
                decision.keyword,
                decision.on.text(),
                pats.join("|")
            ));
        }
        text
    }
}

/// A trait that encodes and decodes one value, implemented for every serializable type,
/// whose error names the value.
fn value_trait(p: &TokenStream, name: &syn::Ident, message: &str) -> TokenStream {
    quote! {
        #[diagnostic::on_unimplemented(
            message = #message,
            label = "`{Self}` is not `Serialize + DeserializeOwned`",
            note = "a `#[workflow(durable)]` workflow records every value: derive `serde::Serialize` and `serde::Deserialize` for `{Self}`"
        )]
        #[doc(hidden)]
        trait #name: ::core::marker::Sized {
            fn __encode(&self, run: #p::Option<#p::RunId>, what: &str) -> #p::Result<#p::Vec<u8>, #p::StoreError>;
            fn __decode(bytes: &[u8], run: #p::RunId, what: &str) -> #p::Result<Self, #p::StoreError>;
        }
        impl<T: #p::Serialize + #p::DeserializeOwned> #name for T {
            #[inline]
            fn __encode(&self, run: #p::Option<#p::RunId>, what: &str) -> #p::Result<#p::Vec<u8>, #p::StoreError> {
                #p::encode(self, run, what)
            }
            #[inline]
            fn __decode(bytes: &[u8], run: #p::RunId, what: &str) -> #p::Result<Self, #p::StoreError> {
                #p::decode(bytes, run, what)
            }
        }
    }
}
