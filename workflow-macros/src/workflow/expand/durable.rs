//! `#[workflow(durable)]`: `impl DurableWorkflow`, which encodes and decodes every value
//! a store keeps (the inputs, each node's output, the output struct), and the graph's
//! fingerprint.
//!
//! Every value's codec comes from `RecordProbe` (autoref specialization: serde's codec
//! when the type is `Serialize + DeserializeOwned`, an erroring one otherwise), so the
//! places that encode or decode a value always compile; each recorded value (input or
//! non-`#[ephemeral]` binding) then gets one bound, a trait named after it in a module
//! `<Workflow>Durable` (so rustc's help line reads ``the trait `FilesDurable::handle<Handle>`
//! is not implemented for `NotRecordable` ``), on the probe's verdict, checked once, spanned
//! at the binding: a value that cannot be recorded is exactly one error naming the node (or
//! input) and its type. `#[ephemeral]` bindings get no bound: they are never recorded.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};

use super::WorkflowGen;
use crate::workflow::ast::path_text;

impl WorkflowGen<'_> {
    /// The value bounds and `impl DurableWorkflow`.
    pub(super) fn durable_impl(&self) -> TokenStream {
        let p = &self.p;
        let (name, name_str) = (self.name, &self.name_str);
        let node_outputs = self.node_outputs();
        // A `for` body is named by its binding, not by its hidden workflow's name.
        let where_ = self.def.body_of.as_ref().map_or_else(
            || format!("durable workflow `{name_str}`"),
            |body| body.text.clone(),
        );
        let ephemeral: Vec<bool> = (0..self.def.bindings.len())
            .map(|i| self.w.bindings[i].ephemeral.is_some())
            .collect();
        let codec = |ty: &TokenStream| quote!((&&#p::RecordProbe::<#ty>::NEW).codec());

        // One bound per recorded value, and the check of it, spanned where the error belongs.
        let module = match &self.def.body_of {
            Some(body) => format_ident!("{}Durable", body.stem),
            None => format_ident!("{}Durable", self.name),
        };
        let (mut bounds, mut bound_impls) = (TokenStream::new(), TokenStream::new());
        // A name seen twice is already an error (a duplicate binding); declare it once.
        let mut declared = std::collections::HashSet::new();
        let mut node_checks = Vec::new();
        let owners = self.slot_owners();
        for (i, b) in self.def.bindings.iter().enumerate() {
            // A merge's later definitions share their first one's slot, variant and bound.
            if ephemeral[i] || !owners.contains(&i) {
                node_checks.push(TokenStream::new());
                continue;
            }
            let bound = b.name.clone();
            let message = format!(
                "node `{}` of {where_} outputs `{{T}}`, which cannot be recorded",
                b.name
            );
            let note = node_note(b, self.w.bindings[i].collect);
            if declared.insert(bound.to_string()) {
                let (declare, implement) = value_bound(p, &module, &bound, &message, &note);
                bounds.extend(declare);
                bound_impls.extend(implement);
            }
            let ty = &node_outputs[i];
            // The module at the binding too, so the call's span is the binding alone.
            let module = syn::Ident::new(&module.to_string(), b.name.span());
            node_checks
                .push(quote_spanned!(b.name.span()=> #module::#bound::<#ty>::check(&__codec);));
        }
        let mut input_checks = Vec::new();
        for (k, input) in self.def.inputs.iter().enumerate() {
            // A `for` body's inputs (the item, the outer values it uses) are never
            // recorded as its own: the workflow's list and values are.
            if self.def.hidden_body {
                input_checks.push(TokenStream::new());
                continue;
            }
            let bound = input.name.clone();
            let message = format!(
                "input `{}` of durable workflow `{name_str}` is `{{T}}`, which cannot be recorded",
                input.name
            );
            if declared.insert(bound.to_string()) {
                let note = "a `#[workflow(durable)]` workflow records its inputs: derive `serde::Serialize` and `serde::Deserialize` for `{T}`";
                let (declare, implement) = value_bound(p, &module, &bound, &message, note);
                bounds.extend(declare);
                bound_impls.extend(implement);
            }
            let alias = &self.input_aliases[k];
            let module = syn::Ident::new(&module.to_string(), input.name.span());
            input_checks.push(
                quote_spanned!(input.name.span()=> #module::#bound::<#alias>::check(&__codec);),
            );
        }

        let node_names: Vec<String> = self
            .def
            .bindings
            .iter()
            .map(|b| b.name.to_string())
            .collect();
        let encode_arms = owners
            .iter()
            .filter(|&&i| self.value_group(i).is_none())
            .map(|&i| {
                let b = &self.def.bindings[i];
                let (ident, what, check) = (&b.name, &node_names[i], &node_checks[i]);
                let codec = codec(&node_outputs[i]);
                quote!(__WorkflowValue::#ident(v) => {
                    let __codec = #codec;
                    #check
                    (__codec.0.encode)(v, run, #what)
                })
            });
        // A slot group's members share a variant and a type: one arm, every member's
        // check, the member's name by its index.
        let group_encodes = self.value_groups().map(|(_, variant, members)| {
            let codec = codec(&node_outputs[members[0]]);
            let checks = members.iter().map(|&i| &node_checks[i]);
            let whats = members.iter().map(|&i| &node_names[i]);
            quote!(__WorkflowValue::#variant(k, v) => {
                let __codec = #codec;
                #(#checks)*
                (__codec.0.encode)(v, run, [#(#whats),*][*k as usize])
            })
        });
        let decode_arms = (0..self.def.bindings.len()).map(|i| {
            let owner = self.owner(i);
            let (ident, what) = (&self.def.bindings[owner].name, &node_names[i]);
            let codec = codec(&node_outputs[owner]);
            let decoded = quote!((#codec.0.decode)(bytes, run, #what)?);
            match self.value_group(owner) {
                Some((variant, k)) => {
                    quote!(#i => #p::Result::Ok(__WorkflowValue::#variant(#k, #decoded)),)
                }
                None => quote!(#i => #p::Result::Ok(__WorkflowValue::#ident(#decoded)),),
            }
        });
        let type_arms = (0..self.def.bindings.len()).map(|i| {
            let ty = &node_outputs[self.owner(i)];
            quote!(#i => ::core::any::type_name::<#ty>(),)
        });
        let node_aliases = &self.node_aliases;
        // A router's value is the index of its arm; routers follow the bindings.
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
        let route_flags = routes.iter().map(|_| quote!(false));
        let route_versions = routes.iter().map(|_| quote!(1u32));

        let input_name = &self.input_name;
        let input_idents: Vec<_> = self.def.inputs.iter().map(|i| &i.name).collect();
        let input_aliases = &self.input_aliases;
        let input_decodes = self.def.inputs.iter().enumerate().map(|(k, i)| {
            let (ident, alias) = (&i.name, &input_aliases[k]);
            let codec = codec(&quote!(#alias));
            quote!(
                let #ident = (#codec.0.decode)(parts.next().map_or(&[][..], |v| &v[..]), run, "input")?;
            )
        });
        let input_encodes = self.def.inputs.iter().enumerate().map(|(k, i)| {
            let (ident, check) = (&i.name, &input_checks[k]);
            let alias = &input_aliases[k];
            let codec = codec(&quote!(#alias));
            quote!({
                let __codec = #codec;
                #check
                (__codec.0.encode)(&input.#ident, run, "input")?
            },)
        });
        let input_count = self.def.inputs.len();

        let output_name = &self.output_name;
        let outs: Vec<usize> = self.output_bindings().collect();
        let out_idents: Vec<_> = outs.iter().map(|&i| &self.def.bindings[i].name).collect();
        let out_ty = |i: usize| {
            let ty = &node_outputs[self.owner(i)];
            if self.is_partial(i) {
                quote!(#p::Option<#ty>)
            } else {
                ty.clone()
            }
        };
        let out_encodes = outs.iter().map(|&i| {
            let ident = &self.def.bindings[i].name;
            let codec = codec(&out_ty(i));
            quote!((#codec.0.encode)(&output.#ident, run, "output")?,)
        });
        let out_decodes = outs.iter().map(|&i| {
            let ident = &self.def.bindings[i].name;
            let codec = codec(&out_ty(i));
            quote!(
                let #ident = (#codec.0.decode)(parts.next().map_or(&[][..], |v| &v[..]), run, "output")?;
            )
        });
        let out_count = outs.len();
        let fingerprint = self.fingerprint();
        let output_str = output_name.to_string();
        let out_strs: Vec<String> = out_idents.iter().map(|i| i.to_string()).collect();
        let out_codecs: Vec<TokenStream> = outs.iter().map(|&i| codec(&out_ty(i))).collect();

        quote! {
            #[doc(hidden)]
            #[allow(non_snake_case, non_camel_case_types)]
            mod #module {
                #bounds
            }
            #bound_impls

            #[automatically_derived]
            #[allow(unused_qualifications, unused_variables, clippy::all)]
            impl #p::DurableWorkflow for #name {
                const FINGERPRINT: &'static str = #fingerprint;
                const EPHEMERAL: &'static [bool] = &[#(#ephemeral,)* #(#route_flags),*];
                const NODE_VERSIONS: &'static [u32] = &[#(<#node_aliases as #p::Node>::VERSION,)* #(#route_versions),*];
                fn output_type(node: usize) -> &'static str {
                    match node {
                        #(#type_arms)*
                        #(#route_types)*
                        _ => "",
                    }
                }
                fn encode_input(input: &Self::Input) -> #p::Result<#p::Vec<u8>, #p::StoreError> {
                    use #p::{ViaNoSerde as _, ViaSerde as _};
                    let run: #p::Option<#p::RunId> = #p::Option::None;
                    #p::Result::Ok(#p::join_encoded(#p::vec![#(#input_encodes)*]))
                }
                fn decode_input(bytes: &[u8], run: #p::RunId) -> #p::Result<Self::Input, #p::StoreError> {
                    use #p::{ViaNoSerde as _, ViaSerde as _};
                    let parts = #p::split_encoded(bytes, run, "input", #input_count)?;
                    let mut parts = parts.iter();
                    #(#input_decodes)*
                    #p::Result::Ok(#input_name { #(#input_idents),* })
                }
                fn encode_value(value: &Self::Value, run: #p::RunId) -> #p::Result<#p::Vec<u8>, #p::StoreError> {
                    use #p::{ViaNoSerde as _, ViaSerde as _};
                    let run = #p::Option::Some(run);
                    match value {
                        #(#encode_arms)*
                        #(#group_encodes)*
                        #(#route_encodes)*
                    }
                }
                fn decode_value(node: usize, bytes: &[u8], run: #p::RunId) -> #p::Result<Self::Value, #p::StoreError> {
                    use #p::{ViaNoSerde as _, ViaSerde as _};
                    match node {
                        #(#decode_arms)*
                        #(#route_decodes)*
                        _ => ::core::unreachable!("workflow node index out of range"),
                    }
                }
                fn encode_output(output: &Self::Output, run: #p::RunId) -> #p::Result<#p::Vec<u8>, #p::StoreError> {
                    use #p::{ViaNoSerde as _, ViaSerde as _};
                    let run = #p::Option::Some(run);
                    #p::Result::Ok(#p::join_encoded(#p::vec![
                        #(#out_encodes)*
                    ]))
                }
                fn decode_output(bytes: &[u8], run: #p::RunId) -> #p::Result<Self::Output, #p::StoreError> {
                    use #p::{ViaNoSerde as _, ViaSerde as _};
                    let parts = #p::split_encoded(bytes, run, "output", #out_count)?;
                    let mut parts = parts.iter();
                    #(#out_decodes)*
                    #p::Result::Ok(#output_name { #(#out_idents),* })
                }
            }

            // The output struct is serde, so that a durable workflow can use this one as
            // a sub-workflow or in `map` (its node's output is this struct). Through each
            // field's codec, not a derive: a field that cannot be recorded is already one
            // error at its binding, and a derive would add its own.
            #[automatically_derived]
            #[allow(unused_qualifications, clippy::all)]
            impl #p::Serialize for #output_name {
                fn serialize<__S: #p::Serializer>(&self, serializer: __S) -> #p::Result<__S::Ok, __S::Error> {
                    use #p::{ViaNoSerde as _, ViaSerde as _};
                    #p::serialize_output(serializer, #output_str, &[
                        #( (#out_strs, (#out_codecs.0.encode)(&self.#out_idents, #p::Option::None, #out_strs)), )*
                    ])
                }
            }
            #[automatically_derived]
            #[allow(unused_qualifications, clippy::all)]
            impl<'de> #p::Deserialize<'de> for #output_name {
                fn deserialize<__D: #p::Deserializer<'de>>(deserializer: __D) -> #p::Result<Self, __D::Error> {
                    use #p::{ViaNoSerde as _, ViaSerde as _};
                    #[allow(unused_mut, unused_variables)]
                    let mut fields = #p::deserialize_output(deserializer)?;
                    #p::Result::Ok(#output_name {
                        #( #out_idents: #p::output_field(&mut fields, #out_strs, #out_codecs.0.decode)?, )*
                    })
                }
            }
        }
    }

    /// `input url: String;page=fetch(url<-url);..`: what a run's rows were recorded
    /// against. Entries are compared one by one on resume, so a changed binding re-runs
    /// that node (and what depends on it) and leaves the others restorable. An
    /// `#[ephemeral]` binding's entry starts with `~` (`~conn=connect(..)`): making a
    /// binding ephemeral, or no longer, changes its entry.
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
                        "{}({}){}",
                        path_text(&self.def.bindings[i].node),
                        ports.join(","),
                        fan_out_text(&self.def.bindings[i])
                    )
                })
                .collect();
            let ephemeral = if self.w.bindings[owner].ephemeral.is_some() {
                "~"
            } else {
                ""
            };
            text.push_str(&format!("{ephemeral}{name}={};", definitions.join("|")));
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

/// What a fan-out runs per item, for its fingerprint entry: ` for x {a=f(x<-x) & ~c=g(..)}=>t`
/// (each body binding as written, `~` marking `#[ephemeral]`; no `;`, which separates
/// entries), or ` map W`. Its items'
/// rows are restored only when the entry is unchanged: a body that changed reruns every
/// item. Empty for other bindings.
fn fan_out_text(b: &crate::workflow::ast::Binding) -> String {
    use crate::workflow::ast::FanOutBody;
    let Some(f) = &b.fan_out else {
        return String::new();
    };
    match &f.body {
        FanOutBody::For {
            var,
            bindings,
            result,
            ..
        } => {
            let body: Vec<String> = bindings
                .iter()
                .map(|x| {
                    let ephemeral = x.attrs.iter().any(|a| a.path().is_ident("ephemeral"));
                    let ports: Vec<String> = x
                        .args
                        .iter()
                        .map(|a| format!("{}<-{}", a.port, a.source.text()))
                        .collect();
                    format!(
                        "{}{}={}({}){}",
                        if ephemeral { "~" } else { "" },
                        x.name,
                        path_text(&x.node),
                        ports.join(","),
                        fan_out_text(x)
                    )
                })
                .collect();
            format!(" for {var} {{{}}}=>{result}", body.join(" & "))
        }
        FanOutBody::Map { workflow } => format!(" map {}", path_text(workflow)),
    }
}

/// The one bound a recorded value's type `T` must meet, declared in `module` (and
/// implemented outside it, where the crate path `p` resolves as the user wrote it): its
/// probe's verdict implements `module::name<T>` only when `T` is
/// `Serialize + DeserializeOwned`. The error names the value.
/// What to do about a node output that cannot be recorded, by what the binding runs: the
/// `…Output` of a sub-workflow (or `map`) is generated, so deriving on it is no fix (the
/// sub-workflow is not durable), and a `#[failure = "collect"]` fan-out's
/// `Vec<Result<_, WorkflowError>>` never serializes.
fn node_note(b: &crate::workflow::ast::Binding, collect: bool) -> String {
    use crate::workflow::ast::FanOutBody;
    let ephemeral = "or mark the binding `#[ephemeral]` to recompute it on resume instead";
    match b.fan_out.as_ref().map(|f| &f.body) {
        _ if collect => "a `#[failure = \"collect\"]` fan-out's `Vec<Result<_, WorkflowError>>` is never serializable: mark the binding `#[ephemeral]` (its items are still recorded one by one, and a node consuming it records its own output)".to_owned(),
        Some(FanOutBody::Map { workflow }) => {
            let w = path_text(workflow);
            format!("`map({w}, ..)` outputs one `…Output` of `{w}` per item, which is `Serialize + Deserialize` only when `{w}` is durable: add `#[workflow(durable)]` to `{w}` (its items are then recorded one by one too), {ephemeral}")
        }
        None if super::render::is_workflow_path(&b.node) => {
            let w = path_text(&b.node);
            format!("`{w}` is a sub-workflow whose `…Output` is `Serialize + Deserialize` only when it is durable: add `#[workflow(durable)]` to `{w}`, {ephemeral}")
        }
        _ => format!("a `#[workflow(durable)]` workflow records every node's output: derive `serde::Serialize` and `serde::Deserialize` for `{{T}}`, {ephemeral} (connections, handles)"),
    }
}

fn value_bound(
    p: &TokenStream,
    module: &syn::Ident,
    name: &syn::Ident,
    message: &str,
    note: &str,
) -> (TokenStream, TokenStream) {
    let declare = quote! {
        #[diagnostic::on_unimplemented(
            message = #message,
            label = "`{T}` is not `Serialize + DeserializeOwned`",
            note = #note
        )]
        pub(super) trait #name<T> {
            #[inline(always)]
            fn check<C>(_: &(C, Self))
            where
                Self: ::core::marker::Sized,
            {
            }
        }
    };
    let implement = quote!(impl<T> #module::#name<T> for #p::Recordable {});
    (declare, implement)
}
