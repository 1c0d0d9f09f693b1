//! A workflow as a node of another (`report = Render(page)`): the workflow's ports
//! callback (the same format `#[node]` emits, so a port mistake in a call of `Render` is
//! the same precise error as for a node) and a `Node` impl on its input struct, whose
//! call runs the workflow as a child run.
//!
//! Output, for `pub struct Render { input page: Page, .. }`:
//! ```text
//! macro_rules! __wf_workflow_Render_1a2b { ({$p} @type $path) => { <$path as Workflow>::Input };
//!                                           ({$p} @claim $rest) => { node_claims! { [page] $rest } };
//!                                           ({$p} $call) => { node_ports! { Render [page] [] [] $call } } }
//! pub use __wf_workflow_Render_1a2b as Render;      // #[macro_export]ed for a `pub` workflow
//! impl Node for RenderInput {                       // in the `const _` block
//!     const NAME = "Render"; const PORTS = &["page"]; type Output = RenderOutput; type Error = WorkflowError;
//!     fn call(self, ctx) -> .. { sub_workflow::<Render>(self, ctx, codec) }
//! }
//! ```

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};

use super::WorkflowGen;

impl WorkflowGen<'_> {
    /// The workflow's ports callback, under the workflow's name in the macro namespace.
    /// Hidden body workflows of fan-outs are never called by name, so they get none.
    pub(super) fn ports_callback(&self) -> TokenStream {
        if self.def.hidden_body {
            return TokenStream::new();
        }
        let name = self.name;
        let hidden = format_ident!(
            "__wf_workflow_{}_{}",
            name,
            self.unique_suffix(),
            span = name.span()
        );
        let ports: Vec<_> = self
            .declared_inputs
            .iter()
            .map(|&i| &self.def.inputs[i].name)
            .collect();
        let marker = self.items_marker();
        let rules = quote! {
            // The workflow's own items pass through here (see `gate_items`): only the
            // expansion this callback belongs to emits them.
            (@items #marker { $($items:tt)* }) => { $($items)* };
            (@items $other:ident { $($items:tt)* }) => {};
            ({$($p:tt)*} @type $($path:tt)*) => { <$($path)* as $($p)*::Workflow>::Input };
            ({$($p:tt)*} @resolved $($path:tt)*) => { 0 };
            // The unused-input check asks every call which ports it leaves unconnected.
            ({$($p:tt)*} @claim $($rest:tt)*) => {
                $($p)*::node_claims! { [#(#ports)*] $($rest)* }
            };
            ({$($p:tt)*} $($call:tt)*) => {
                $($p)*::node_ports! { #name [#(#ports)*] [] [] $($call)* }
            };
        };
        let vis = &self.def.vis;
        if matches!(vis, syn::Visibility::Public(_)) {
            quote! {
                #[doc(hidden)]
                #[macro_export]
                #[allow(non_local_definitions)]
                macro_rules! #hidden { #rules }
                #[doc(hidden)]
                #[allow(unused_imports)]
                #vis use #hidden as #name;
            }
        } else {
            // `pub(crate)` whatever the workflow's visibility (as a node's callback), so
            // that naming a private workflow from outside its module is rustc's privacy
            // error about the workflow, not about this hidden macro (whose name it would
            // print).
            quote! {
                #[doc(hidden)]
                #[allow(unused_macros)]
                macro_rules! #hidden { #rules }
                #[doc(hidden)]
                #[allow(unused_imports)]
                pub(crate) use #hidden as #name;
            }
        }
    }

    /// `__wf_items_1a2b`: what this expansion's items are gated on (see `gate_items`).
    fn items_marker(&self) -> syn::Ident {
        format_ident!("__wf_items_{}", self.unique_suffix())
    }

    /// The workflow's ports callback and what gates its items on it (see [`Gate`]).
    pub(crate) fn gate(&self) -> Gate {
        Gate {
            callback: self.ports_callback(),
            name: (!self.def.hidden_body).then(|| (self.name.clone(), self.items_marker())),
        }
    }

    /// `impl Node for RenderInput`: the workflow as a node whose ports are its inputs.
    pub(super) fn node_impl(&self) -> TokenStream {
        let p = &self.p;
        let (name, name_str) = (self.name, &self.name_str);
        let input_name = &self.input_name;
        let inputs: Vec<_> = self
            .declared_inputs
            .iter()
            .map(|&i| &self.def.inputs[i].name)
            .collect();
        let input_strs = inputs.iter().map(|i| i.to_string());
        quote! {
            #[automatically_derived]
            #[allow(unused_qualifications, clippy::all)]
            impl #p::Node for #input_name {
                const NAME: &'static str = #name_str;
                const PORTS: &'static [&'static str] = &[#(#input_strs),*];
                const POLICY: #p::NodePolicy = #p::NodePolicy::DEFAULT;
                const RESOURCES: &'static [#p::ResourceReq] = &[];
                const CHILD: #p::Option<&'static #p::Plan> =
                    #p::Option::Some(<#name as #p::Workflow>::PLAN);
                const CONTAINER: bool = true;
                type Output = <#name as #p::Workflow>::Output;
                type Error = #p::WorkflowError;

                fn call(
                    self,
                    ctx: #p::Context,
                ) -> impl #p::Future<Output = #p::NodeResult<Self::Output>> + ::core::marker::Send + 'static {
                    // `Some` when this workflow is durable: a durable run then records
                    // the sub-workflow's nodes one by one, as a fan-out's items'.
                    let codec = {
                        #[allow(unused_imports)]
                        use #p::{ViaDurableItems as _, ViaPlainItems as _};
                        (&&#p::ItemsProbe::<#name>::NEW).item_codec()
                    };
                    #p::sub_workflow::<#name>(self, ctx, codec)
                }

                fn try_clone(&self) -> #p::Option<Self> {
                    #[allow(unused_imports)]
                    use #p::{ViaClone as _, ViaNoClone as _};
                    #p::Option::Some(Self {
                        #( #inputs: (&&#p::CloneProbe(&self.#inputs)).probe_clone()?, )*
                    })
                }
            }
        }
    }

    /// `impl PortType<key> for RenderInput` per input: the type of each port of the
    /// workflow called as a node, as `#[node]` gives its ports struct, so the slot of a
    /// `match` arm's pattern binding that feeds a sub-workflow's port (`Some(p) => { r =
    /// Render(page: p), }`) takes that port's type. A workflow of one input implements it
    /// for every key, as a node of one port does: a misnamed port is then the port's
    /// error only.
    pub(super) fn input_port_type_impls(&self) -> TokenStream {
        if self.def.hidden_body {
            return TokenStream::new();
        }
        let p = &self.p;
        let input_name = &self.input_name;
        if let [only] = self.declared_inputs.as_slice() {
            let alias = &self.input_aliases[*only];
            // The associated type spanned at the input's type: a `pub` workflow whose
            // input type is private is rustc's E0446 at that type, not at the whole
            // `workflow!` call.
            let ty = quote_spanned!(self.def.inputs[*only].ty_span()=> type Ty = #alias;);
            return quote! {
                #[automatically_derived]
                impl<const KEY: u64> #p::PortType<KEY> for #input_name {
                    #ty
                }
            };
        }
        let impls = self.declared_inputs.iter().map(|&i| {
            let name = syn::ext::IdentExt::unraw(&self.def.inputs[i].name).to_string();
            let key = crate::codegen::port_key(&name);
            let alias = &self.input_aliases[i];
            let ty = quote_spanned!(self.def.inputs[i].ty_span()=> type Ty = #alias;);
            quote! {
                #[automatically_derived]
                impl #p::PortType<#key> for #input_name {
                    #ty
                }
            }
        });
        quote!(#(#impls)*)
    }

    /// Tells apart the callbacks of one crate (`#[macro_export]` puts them all at its
    /// root): a hash of the workflow's name, entries and place in the source.
    pub(super) fn unique_suffix(&self) -> String {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.name_str.hash(&mut h);
        for b in &self.def.bindings {
            b.name.to_string().hash(&mut h);
        }
        format!("{:?}", self.name.span()).hash(&mut h);
        format!("{:x}", h.finish() & 0xffff_ffff)
    }
}

/// A workflow's ports callback, and how its items go through it:
/// `Render! { @items __wf_items_1a2b { items } }`. A workflow declared twice in one
/// module then is one error, rustc's "the name `Render` is defined multiple times" at
/// the second name (the second callback's import): the name resolves to the first
/// callback, whose marker differs, so the second expansion's items (structs, impls) are
/// dropped instead of each being an error of its own. Matching `$($items:tt)*` walks
/// only the top-level token trees (an item's body is one group), so it costs little.
/// Hidden bodies (no callback) are emitted directly.
pub(crate) struct Gate {
    callback: TokenStream,
    /// The workflow's name and its items' marker; `None` for a hidden body.
    name: Option<(syn::Ident, syn::Ident)>,
}

impl Gate {
    /// The callback, then `items` through it.
    pub(crate) fn apply(self, items: TokenStream) -> TokenStream {
        let callback = self.callback;
        match self.name {
            Some((mut name, marker)) => {
                name.set_span(proc_macro2::Span::call_site());
                quote!(#callback #name! { @items #marker { #items } })
            }
            None => quote!(#callback #items),
        }
    }
}
