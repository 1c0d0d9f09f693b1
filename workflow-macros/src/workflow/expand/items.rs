//! The user-facing items of a workflow: the type aliases that name the user's types
//! once, the workflow struct, its input and output structs and their `Debug` impls.

use std::collections::HashSet;

use proc_macro2::TokenStream;
use quote::quote;

use super::render::mermaid;
use super::WorkflowGen;
use crate::workflow::ast::path_text;

impl WorkflowGen<'_> {
    /// `type __EtlInput_url = String;` and `type __EtlNode_page = fetch;`: the only
    /// places where the user's input types and node paths are named, so a wrong path is
    /// one error (and rustdoc shows the target).
    pub(super) fn aliases(&self) -> TokenStream {
        let input_aliases = self.declared_inputs.iter().map(|&i| &self.input_aliases[i]);
        // The owned type for a borrowed one (already reported, see `owned_input`).
        let input_types: Vec<(proc_macro2::Span, syn::Type, Option<TokenStream>)> = self
            .declared_inputs
            .iter()
            .map(|&i| {
                let input = &self.def.inputs[i];
                let ty = &input.ty;
                if let Some((found, message)) = crate::workflow::check::not_concrete_input(input) {
                    // Reported (`check_inputs_concrete`): the error again in the `Send`
                    // check makes the alias an error type; `()` keeps `impl`/`_` out of it.
                    let error = syn::Error::new_spanned(found, message).to_compile_error();
                    return (
                        syn::spanned::Spanned::span(ty),
                        syn::parse_quote!(()),
                        Some(error),
                    );
                }
                let written = crate::workflow::check::owned_input(ty).unwrap_or_else(|| ty.clone());
                (
                    syn::spanned::Spanned::span(ty),
                    written,
                    not_send_error(input),
                )
            })
            .collect();
        // The types as written, under a name of their own for the aliases (a type named
        // only in the qself position of `Checked`, where a wrong one stays one error).
        let raw_aliases: Vec<syn::Ident> = input_aliases
            .clone()
            .map(|alias| quote::format_ident!("{alias}__written"))
            .collect();
        let raw_types = input_types.iter().map(|(_, ty, _)| ty);
        // Each input crosses threads: one `Send` check of all of them (an error at the
        // type of one that is not), which the aliases name the types through, so that no
        // generated item holding the input reports it again (see `SendChecked`).
        let p = &self.p;
        let send_ok = quote::format_ident!("__wf_send_{}_{}", self.name_str, self.unique_suffix());
        let send_check = (!input_types.is_empty()).then(|| {
            let checks = input_types
                .iter()
                .map(|(span, written, reported)| match reported {
                    Some(error) => error.clone(),
                    // The type as written (not its alias), so that the error spans it.
                    None => quote::quote_spanned!(*span=> #p::must_be_send::<#written>();),
                });
            quote! {
                #[doc(hidden)]
                #[allow(non_upper_case_globals)]
                const #send_ok: usize = {
                    #(#checks)*
                    0
                };
            }
        });
        // Every declared binding, and a merge's later definitions (each its own node).
        let declared: HashSet<usize> = self.declared_bindings.iter().copied().collect();
        let aliased: Vec<usize> = (0..self.def.bindings.len())
            .filter(|&i| declared.contains(&i) || self.owner(i) != i)
            .collect();
        let node_aliases = aliased.iter().map(|&i| &self.node_aliases[i]);
        // One ports-callback call per node path: later bindings of the same path name
        // the first one's alias (a macro call per node was most of a large workflow's
        // compile time, issue 17).
        let mut first_of: std::collections::HashMap<String, usize> =
            std::collections::HashMap::new();
        let node_paths: Vec<TokenStream> = aliased
            .iter()
            .map(|&i| {
                let b = &self.def.bindings[i];
                if !b.has_ports_callback() {
                    return self.node_type(b);
                }
                match first_of.entry(path_text(&b.node)) {
                    std::collections::hash_map::Entry::Occupied(first) => {
                        let alias = &self.node_aliases[*first.get()];
                        quote!(#alias)
                    }
                    std::collections::hash_map::Entry::Vacant(slot) => {
                        slot.insert(i);
                        self.node_type(b)
                    }
                }
            })
            .collect();
        quote! {
            #send_check
            #(
                #[doc(hidden)]
                #[allow(non_camel_case_types)]
                type #raw_aliases = #raw_types;
                #[doc(hidden)]
                #[allow(non_camel_case_types)]
                type #input_aliases = <#raw_aliases as #p::Checked<#p::SendChecked<#send_ok>>>::T;
            )*
            #(
                #[doc(hidden)]
                #[allow(non_camel_case_types)]
                type #node_aliases = #node_paths;
            )*
        }
    }

    /// The ports struct of a node path, through the node's ports callback where it has
    /// one (`<fetch! { {..} @type fetch } as NodePath>::Node`): then a path that is not
    /// a `#[node]` (a plain fn, a node not imported) is one error, rustc's "cannot find
    /// macro `fetch`", rather than two (see `NodePath`). The type also passes through
    /// `Checked<SendChecked<{ fetch! { {..} @resolved fetch } }>>`, `0` from the
    /// callback: when the callback does not resolve, that const is an error (the same
    /// one, which rustc reports once) and the node an error type, so nothing using it
    /// adds an error, not an edge from it nor `run.outputs.y` in the user's code. A node
    /// whose options are wrong answers `fetch::__WF_ERRORS`, the const holding those
    /// errors, to the same effect.
    fn node_type(&self, b: &crate::workflow::ast::Binding) -> TokenStream {
        let p = &self.p;
        let path = &b.node;
        if b.has_ports_callback() {
            quote! {
                <<#path! { {#p} @type #path } as #p::NodePath>::Node
                    as #p::Checked<#p::SendChecked<{ #path! { {#p} @resolved #path } }>>>::T
            }
        } else {
            quote!(#path)
        }
    }

    /// `pub struct Etl;`, documented with the user's docs (or a default) and a picture
    /// of the graph.
    pub(super) fn workflow_struct(&self) -> TokenStream {
        let (vis, name, name_str) = (&self.def.vis, self.name, &self.name_str);
        let attrs = &self.w.attrs.other;
        let workflow_doc = if attrs.iter().any(|a| a.path().is_ident("doc")) {
            quote!()
        } else {
            let d = format!("The `{name_str}` workflow (generated by `workflow!`).");
            quote!(#[doc = #d])
        };
        let graph_doc = format!("\n\n# Graph\n\n```text\n{}```", mermaid(self));
        quote! {
            #(#attrs)*
            #workflow_doc
            #[doc = #graph_doc]
            #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
            #vis struct #name;
        }
    }

    /// `pub struct EtlInput { pub url: String }`: one field per input.
    pub(super) fn input_struct(&self) -> TokenStream {
        let (vis, input_name) = (&self.def.vis, &self.input_name);
        let input_doc = format!("Inputs of the [`{}`] workflow.", self.name_str);
        let inputs = self.declared_inputs.iter().map(|&i| &self.def.inputs[i]);
        let idents = inputs.clone().map(|i| &i.name);
        let types = self.declared_inputs.iter().map(|&i| &self.input_aliases[i]);
        let attrs = inputs.map(|i| {
            // Only docs: other attributes are errors (see `check_input_attrs`), and
            // copying them would add rustc's own errors about them.
            let a: Vec<_> = i
                .attrs
                .iter()
                .filter(|a| a.path().is_ident("doc"))
                .collect();
            if a.is_empty() {
                let doc = format!("Workflow input `{}`.", i.name);
                quote!(#[doc = #doc])
            } else {
                quote!(#(#a)*)
            }
        });
        // An empty input struct is built often (`WInput::default()`), so it derives more.
        let derive = if self.def.inputs.is_empty() {
            quote!(#[derive(Clone, Copy, Default)])
        } else {
            quote!()
        };
        let head =
            self.at_workflow_name(vis, input_name, quote!(#( #attrs pub #idents: #types, )*));
        let derived_item_lints = derived_item_lints();
        quote! {
            #[doc = #input_doc]
            #derive
            #derived_item_lints
            #head
        }
    }

    /// `pub struct EtlOutput { pub sum: Output<total> }`: one field per sink binding and
    /// per `#[output]` binding.
    pub(super) fn output_struct(&self) -> TokenStream {
        let (vis, output_name) = (&self.def.vis, &self.output_name);
        let output_doc = format!(
            "Outputs of the [`{}`] workflow: one field per sink node and per `#[output]` binding.",
            self.name_str
        );
        let node_outputs = self.node_outputs();
        let fields = self.output_bindings().map(|i| {
            let b = &self.def.bindings[i];
            let ident = &b.name;
            let ty = self.output_field_type(&node_outputs, i);
            let docs = &self.w.bindings[i].docs;
            let docs = if docs.is_empty() {
                let doc = format!("Output of node `{}` (`{}`).", ident, path_text(&b.node));
                quote!(#[doc = #doc])
            } else {
                quote!(#(#docs)*)
            };
            quote!(#docs pub #ident: #ty,)
        });
        let broken = self.broken_fields();
        let head = self.at_workflow_name(vis, output_name, quote!(#(#fields)* #broken));
        let derived_item_lints = derived_item_lints();
        quote! {
            #[doc = #output_doc]
            #derived_item_lints
            #head
        }
    }

    /// The type of binding `i`'s field in the output struct: its node's output, in an
    /// `Option` when some arms only bind it (`None` when another arm ran).
    fn output_field_type(&self, node_outputs: &[TokenStream], i: usize) -> TokenStream {
        let p = &self.p;
        let ty = &node_outputs[i];
        if self.is_partial(i) {
            quote!(#p::Option<#ty>)
        } else {
            quote!(#ty)
        }
    }

    /// `PartialEq` for the output struct when every output has it, so that a test can
    /// write `assert_eq!(run.outputs, EtlOutput { .. })`. A field's bound is
    /// higher-ranked (`for<'a> Page: PartialEq`): one that does not hold makes the impl
    /// not apply (`==` is then rustc's "cannot be applied to `EtlOutput`"), where a plain
    /// bound naming no generic parameter would be an error of its own. Each field is
    /// compared with `PartialEq::eq(&a, &b)`, not `a == b`: `==` on a `Box<dyn Trait>` or
    /// `Arc<dyn Trait>` moves its right side (rustc tries to coerce it), which in this
    /// body, where the bound is assumed even when it does not hold, was E0507 "cannot
    /// move out of a shared reference" at the `workflow!` of any workflow whose output
    /// is such a type.
    pub(super) fn output_eq_impl(&self) -> TokenStream {
        let output_name = &self.output_name;
        let (fields, types) = self.output_fields();
        quote! {
            #[automatically_derived]
            impl ::core::cmp::PartialEq for #output_name
            where
                #(for<'__wf> #types: ::core::cmp::PartialEq,)*
            {
                fn eq(&self, other: &Self) -> bool {
                    true #(&& ::core::cmp::PartialEq::eq(&self.#fields, &other.#fields))*
                }
            }
        }
    }

    /// `Clone` for the output struct when every output has it, so that a test can keep
    /// `run.outputs.clone()` and still use the run. Higher-ranked bounds, as in
    /// [`output_eq_impl`](Self::output_eq_impl): an output that is not `Clone` makes the
    /// impl not apply (`.clone()` is then rustc's "method cannot be called on
    /// `EtlOutput` due to unsatisfied trait bounds", naming that output's type), not an
    /// error of its own. The fields of entries that did not parse are cloned too; their
    /// type is already an error.
    pub(super) fn output_clone_impl(&self) -> TokenStream {
        let output_name = &self.output_name;
        let (fields, types) = self.output_fields();
        let broken = self.broken_names();
        quote! {
            #[automatically_derived]
            impl ::core::clone::Clone for #output_name
            where
                #(for<'__wf> #types: ::core::clone::Clone,)*
            {
                fn clone(&self) -> Self {
                    Self {
                        #(#fields: ::core::clone::Clone::clone(&self.#fields),)*
                        #(#broken: ::core::clone::Clone::clone(&self.#broken),)*
                    }
                }
            }
        }
    }

    /// `Clone` for the input struct when every input has it, so that one input can start
    /// several runs (`rt.execute(Etl, input.clone())`, a durable run started again with
    /// its key). Higher-ranked bounds, as in [`output_clone_impl`](Self::output_clone_impl):
    /// an input that is not `Clone` makes the impl not apply rather than an error of its
    /// own. An empty input struct derives `Clone` already (see [`input_struct`](Self::input_struct)).
    pub(super) fn input_clone_impl(&self) -> TokenStream {
        if self.def.inputs.is_empty() {
            return TokenStream::new();
        }
        let input_name = &self.input_name;
        let fields: Vec<_> = self
            .declared_inputs
            .iter()
            .map(|&i| &self.def.inputs[i].name)
            .collect();
        let types = self.declared_inputs.iter().map(|&i| &self.input_aliases[i]);
        quote! {
            #[automatically_derived]
            impl ::core::clone::Clone for #input_name
            where
                #(for<'__wf> #types: ::core::clone::Clone,)*
            {
                fn clone(&self) -> Self {
                    Self {
                        #(#fields: ::core::clone::Clone::clone(&self.#fields),)*
                    }
                }
            }
        }
    }

    /// A field per binding whose entry did not parse (`WorkflowDef::broken`), of an
    /// error type (`()` through the const holding the workflow's errors, see
    /// [`errors_const`]): code reading `run.outputs.pages` adds no error to the syntax
    /// error. Empty in a workflow that parsed.
    fn broken_fields(&self) -> TokenStream {
        let p = &self.p;
        let errors = errors_const(self.name);
        let fields = self.broken_names().into_iter().map(|name| {
            let doc = format!("Output of node `{name}` (its entry did not compile).");
            quote! {
                #[doc = #doc]
                pub #name: <() as #p::Checked<#p::SendChecked<#errors>>>::T,
            }
        });
        quote!(#(#fields)*)
    }

    /// The output struct's fields, one per output binding, and their types: what the
    /// impls of a trait that holds when every output's type has it are built from.
    fn output_fields(&self) -> (Vec<&syn::Ident>, Vec<TokenStream>) {
        let node_outputs = self.node_outputs();
        self.output_bindings()
            .map(|i| {
                let ty = self.output_field_type(&node_outputs, i);
                (&self.def.bindings[i].name, ty)
            })
            .unzip()
    }

    /// The bindings whose entries did not parse (`WorkflowDef::broken`) and that no
    /// parsed binding has the name of: each is a field of the output struct too.
    fn broken_names(&self) -> Vec<&syn::Ident> {
        let mut seen: HashSet<String> = self
            .def
            .bindings
            .iter()
            .map(|b| b.name.to_string())
            .collect();
        self.def
            .broken
            .iter()
            .filter(|name| seen.insert(name.to_string()))
            .collect()
    }

    /// `pub struct EtlInput { fields }`, its own tokens spanned at the workflow's name:
    /// where a user type has the same name, rustc's "`EtlInput` redefined here" points
    /// at `struct Etl`, which is what declares it.
    fn at_workflow_name(
        &self,
        vis: &syn::Visibility,
        ident: &syn::Ident,
        fields: TokenStream,
    ) -> TokenStream {
        let span = self.name.span();
        let mut ident = ident.clone();
        ident.set_span(span);
        let vis = crate::codegen::respan(quote!(#vis), span);
        let mut body = proc_macro2::Group::new(proc_macro2::Delimiter::Brace, fields);
        body.set_span(span);
        quote::quote_spanned!(span=> #vis struct #ident #body)
    }

    /// The indices of the bindings in the output struct, in declaration order.
    pub(super) fn output_bindings(&self) -> impl Iterator<Item = usize> + '_ {
        self.declared_bindings
            .iter()
            .copied()
            .filter(|&i| self.g.nodes[i].is_output)
    }

    /// `Debug` for the input and output structs; a field whose type is not `Debug` is
    /// printed as `<Type (not Debug)>` (autoref specialization through `DebugProbe`).
    pub(super) fn debug_impls(&self) -> TokenStream {
        let input_fields: Vec<_> = self
            .declared_inputs
            .iter()
            .map(|&i| &self.def.inputs[i].name)
            .collect();
        let output_fields: Vec<_> = self
            .output_bindings()
            .map(|i| &self.def.bindings[i].name)
            .collect();
        let input = self.debug_impl(&self.input_name, &input_fields);
        let output = self.debug_impl(&self.output_name, &output_fields);
        quote!(#input #output)
    }

    /// `run.outputs["sum"]` and `run.outputs.get("sum")` (a map's habits) are an error
    /// with the fields to write: an `Index` impl and a `get` method on the output struct
    /// whose key must implement a trait that nothing implements, with the hint as its
    /// `on_unimplemented` message. Their value is a projection on that trait, an error
    /// type, so the expression adds nothing more.
    pub(super) fn output_index_hint(&self) -> TokenStream {
        let output_name = &self.output_name;
        let fields: Vec<String> = self
            .output_bindings()
            .map(|i| format!(".{}", syn::ext::IdentExt::unraw(&self.def.bindings[i].name)))
            .collect();
        let Some(first) = self.output_bindings().next() else {
            return TokenStream::new();
        };
        let first = syn::ext::IdentExt::unraw(&self.def.bindings[first].name);
        let message = format!(
            "`{output_name}` is a struct, not a map: its outputs are fields, like `run.outputs.{first}`"
        );
        let label = format!(
            "write a field: {}",
            crate::internals::suggest::list(&fields)
        );
        quote! {
            // `pub` (a bound of a public impl), unreachable in this block.
            #[diagnostic::on_unimplemented(message = #message, label = #label)]
            #[allow(unreachable_pub)]
            pub trait OutputField {
                type Value;
            }
            // One implementation, on a type no one can name, not shown (or rustc adds
            // "this trait has no implementations, consider adding one").
            #[allow(unreachable_pub, dead_code)]
            pub enum NoKey {}
            #[diagnostic::do_not_recommend]
            impl OutputField for NoKey {
                type Value = NoKey;
            }
            #[doc(hidden)]
            #[automatically_derived]
            impl<K: OutputField> ::core::ops::Index<K> for #output_name {
                type Output = <K as OutputField>::Value;
                fn index(&self, _: K) -> &Self::Output {
                    ::core::unreachable!("no key implements `OutputField`")
                }
            }
            // `run.outputs.get("sum")`, the same habit with a dict's method.
            // No `#[automatically_derived]`: rustc accepts it on trait impls only.
            #[doc(hidden)]
            impl #output_name {
                #[allow(dead_code)]
                pub fn get<K: OutputField>(
                    &self,
                    _: K,
                ) -> ::core::option::Option<&<K as OutputField>::Value> {
                    ::core::unreachable!("no key implements `OutputField`")
                }
            }
        }
    }

    fn debug_impl(&self, ty: &syn::Ident, fields: &[&syn::Ident]) -> TokenStream {
        let p = &self.p;
        let ty_str = ty.to_string();
        let field_strs = fields.iter().map(|f| f.to_string());
        quote! {
            #[automatically_derived]
            impl ::core::fmt::Debug for #ty {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    #[allow(unused_imports)]
                    use #p::{ViaDebug as _, ViaNoDebug as _};
                    f.debug_struct(#ty_str)
                        #( .field(#field_strs, &#p::DebugWith(|f: &mut ::core::fmt::Formatter<'_>| (&&#p::DebugProbe(&self.#fields)).probe_fmt(f))) )*
                        .finish()
                }
            }
        }
    }
}

/// The const holding a workflow's errors when a binding did not parse (see
/// `broken_fields`): `__wf_errors_Etl`.
pub(crate) fn errors_const(workflow: &syn::Ident) -> syn::Ident {
    quote::format_ident!("__wf_errors_{}", syn::ext::IdentExt::unraw(workflow))
}

/// The error `check_inputs_are_send` reported for a visibly non-`Send` input (`Rc<T>`),
/// repeated in the input's `Send` check: rustc prints an identical error once, and it
/// makes the check fail, so the input's type is an error type that nothing else reports
/// (not the input struct, nor a caller building it with an `Rc`).
fn not_send_error(input: &crate::workflow::ast::InputDecl) -> Option<TokenStream> {
    use crate::internals::not_send;
    let (found, fix) = not_send::find(&input.ty)?;
    let what = format!("input `{}`", input.name);
    Some(syn::Error::new_spanned(found, not_send::message(&what, found, fix)).to_compile_error())
}

/// The lints the input and output structs leave to the workflow's own struct, which
/// every one of them would repeat at the same name: a workflow named `etl` is one
/// `non_camel_case_types` warning (not also one for `etlInput` and `etlOutput`), and a
/// private workflow never run is one `dead_code` warning, "struct `Etl` is never
/// constructed" (not "`EtlInput` is never constructed" and the same for `EtlOutput`).
fn derived_item_lints() -> TokenStream {
    quote!(#[allow(dead_code, non_camel_case_types)])
}
