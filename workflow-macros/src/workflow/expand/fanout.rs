//! Fan-out bindings: `thumbs = for url in urls { img = download(url), t = resize(img), }
//! => t` and `pages = map(Render, urls)`. Each is one node of the workflow whose ports
//! are the list and, for `for`, the outer sources its body uses; its call runs one child
//! run per item (`fan_out` in workflow-core). A `for` body is an anonymous child
//! workflow, declared by a `workflow!` expansion of its own ([`body_def`]).
//!
//! Output, for `thumbs` in `Gallery`:
//! ```text
//! pub struct __GalleryFan_thumbs { pub urls: __GalleryInput_urls, pub size: Output<__GalleryNode_size> }
//! // the body, expanded like a workflow `__GalleryEach_thumbs { input url: <urls' item>, input size: .., img = .., #[output] t = .. }`
//! impl Node for __GalleryFan_thumbs {                      // in the `const _` block
//!     type Output = Vec<Output<__GalleryEach_thumbsNode_t>>;   // `Vec<Result<_, WorkflowError>>` with `#[failure = "collect"]`
//!     fn call(self, ctx) -> .. {
//!         fan_out::<__GalleryEach_thumbs, _, _>(ctx, urls, FanOutOptions { .. },
//!             move |url| __GalleryEach_thumbsInput { url, size: size.__share() }, |out| out.t)
//!     }
//! }
//! ```

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::{Ident, Type};

use super::{input_alias, node_alias, WorkflowGen};
use crate::codegen::respan;
use crate::internals::Ctxt;
use crate::workflow::ast::{Binding, FanOut, FanOutBody, InputDecl, WorkflowDef};
use crate::workflow::parse::finish_fan_outs;

/// The name of a `for` body's child workflow: `__GalleryEachThumbs` for `thumbs`.
fn body_name(workflow: &Ident, binding: &Ident) -> Ident {
    let binding_text = syn::ext::IdentExt::unraw(binding).to_string();
    let camel: String = binding_text
        .split('_')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect();
    format_ident!("__{}Each{}", workflow, camel, span = binding.span())
}

/// The type of the source `name` in workflow `def`: an input's alias, or a binding's
/// output; `()` when `name` is declared nowhere (already an error).
fn source_type(def: &WorkflowDef, p: &TokenStream, name: &Ident) -> TokenStream {
    if let Some(input) = def.inputs.iter().find(|i| i.name == *name) {
        let alias = input_alias(&def.name, input);
        return quote!(#alias);
    }
    if let Some(i) = def.bindings.iter().position(|b| b.name == *name) {
        let alias = node_alias(&def.name, def, i);
        return quote!(#p::Output<#alias>);
    }
    quote!(())
}

/// The type of port `k` of the fan-out binding `b` (its list, then the outer sources its
/// body uses): its source's type (see [`source_type`]), except for a `match` arm's
/// pattern binding, which has no type of its own (the slot holding it takes the type of
/// the port it feeds, see `pattern_slots`): then the type of the port it feeds inside the
/// body. For the list of a `for`, `Vec<item>` with the item typed by the body's node port
/// that takes it (see [`item_consumer`]); for that of a `map`, `Vec` of the workflow's one
/// input; for an outer source, the body's node port that takes it as it is. `()` when no
/// such port exists (the body or the workflow reports its own error then).
fn fan_out_arg_type(def: &WorkflowDef, p: &TokenStream, b: &Binding, k: usize) -> TokenStream {
    let arg = &b.args[k];
    let root = &arg.source.root;
    let Some(f) = b.fan_out.as_ref().filter(|_| !def.declares(root)) else {
        return source_type(def, p, root);
    };
    match &f.body {
        FanOutBody::For { var, bindings, .. } => {
            let taker = if k == 0 { var } else { &arg.port };
            let Some((j, port)) = item_consumer(taker, bindings) else {
                return quote!(());
            };
            let alias = format_ident!(
                "__{}Node_{}",
                body_name(&def.name, &b.name),
                bindings[j].name,
                span = bindings[j].node_span()
            );
            let key = crate::codegen::port_key(&syn::ext::IdentExt::unraw(&port).to_string());
            let ty = quote!(<#alias as #p::PortType<#key>>::Ty);
            if k == 0 {
                quote!(#p::Vec<#ty>)
            } else {
                ty
            }
        }
        FanOutBody::Map { workflow } if k == 0 => {
            quote!(#p::Vec<<<#workflow as #p::Workflow>::Input as #p::MapInput>::Item>)
        }
        FanOutBody::Map { .. } => quote!(()),
    }
}

/// The item type of a fan-out's list, spanned at the list: a list that is not one is
/// one error there (every use of the type reports the same error at the same place).
fn item_type(def: &WorkflowDef, p: &TokenStream, f: &FanOut) -> TokenStream {
    let list = source_type(def, p, &f.items.root);
    respan(
        quote!(<#list as #p::FanOutItems>::Each),
        f.items.root.span(),
    )
}

/// The child workflow of the `for` body of binding `b` in workflow `def`: its inputs are
/// the loop variable (one item) and the outer sources the body uses; its bindings are
/// the body's, the collected one marked `#[output]`. `None` for other bindings.
pub(crate) fn body_def(
    cx: &Ctxt,
    def: &WorkflowDef,
    b: &Binding,
    p: &TokenStream,
) -> Option<WorkflowDef> {
    let f = b.fan_out.as_ref()?;
    let FanOutBody::For {
        var,
        bindings,
        decisions,
        result,
        brace_span,
    } = &f.body
    else {
        return None;
    };
    let name = body_name(&def.name, &b.name);
    // A durable workflow's body is durable: each item's nodes are recorded under their
    // paths (`thumbs[3].img`), so a resumed run reruns only the items that did not end.
    let durable = crate::workflow::attr::parse_workflow_attrs(&Ctxt::new(), &def.attrs)
        .options
        .durable;
    let mut attrs = vec![syn::parse_quote!(#[doc(hidden)])];
    if durable {
        attrs.push(syn::parse_quote!(#[workflow(durable)]));
    }
    let typed = |name: &Ident, ty: TokenStream| -> Option<InputDecl> {
        Some(InputDecl {
            attrs: Vec::new(),
            name: name.clone(),
            ty: syn::parse2::<Type>(ty).ok()?,
        })
    };
    // The item's type: the type of the node port it feeds, when one takes it as it is
    // (a type that exists whatever the list is, so a list that is not one is one error,
    // at the fan-out's call); else the list's item type.
    let item_ty = match item_consumer(var, bindings) {
        Some((j, port)) => {
            let alias = format_ident!(
                "__{}Node_{}",
                name,
                bindings[j].name,
                span = bindings[j].node_span()
            );
            let key = crate::codegen::port_key(&syn::ext::IdentExt::unraw(&port).to_string());
            quote!(<#alias as #p::PortType<#key>>::Ty)
        }
        None => item_type(def, p, f),
    };
    let mut inputs = vec![typed(var, item_ty)?];
    for (k, arg) in b.args.iter().enumerate().skip(1) {
        let ty = fan_out_arg_type(def, p, b, k);
        inputs.push(typed(&arg.port, ty)?);
    }
    let mut bindings = bindings.clone();
    for body_binding in &mut bindings {
        // `#[output]` written on a body binding: the body's value is its `=> ..` binding,
        // one per item, and nothing else of it reaches the workflow's output (it was
        // ignored, silently). Reported, and dropped (the result gets its own below).
        body_binding.attrs.retain(|attr| {
            if !attr.path().is_ident("output") {
                return true;
            }
            cx.error_spanned_by(
                attr,
                format!(
                    "`#[output]` does not apply inside the body of fan-out `{}`: the body's value is its `=> {result}` binding, one per item, and nothing else of the body reaches the workflow's output; to keep `{}` per item, collect it (`=> {}`), or have the collected node return it too",
                    b.name, body_binding.name, body_binding.name
                ),
            );
            false
        });
        if body_binding.name == *result {
            body_binding.attrs.push(syn::parse_quote!(#[output]));
        }
    }
    let names: Vec<String> = inputs
        .iter()
        .map(|i| i.name.to_string())
        .chain(bindings.iter().map(|b| b.name.to_string()))
        .collect();
    finish_fan_outs(cx, &name, &names, decisions, &mut bindings);
    Some(WorkflowDef {
        attrs,
        // Private, whatever the outer workflow's visibility: the body's items name the
        // body's node fns, which a `pub` workflow may keep private (E0446 otherwise).
        vis: syn::Visibility::Inherited,
        name,
        inputs,
        bindings,
        decisions: decisions.clone(),
        brace_span: *brace_span,
        hidden_body: true,
        broken: Vec::new(),
        body_of: Some(match &def.body_of {
            Some(outer) => crate::workflow::ast::BodyOf {
                text: format!("the `for` body of `{}` in {}", b.name, outer.text),
                place: format!("the `for` body of `{}` in {}", b.name, outer.place),
                stem: format!("{}_{}", outer.stem, b.name),
            },
            None => crate::workflow::ast::BodyOf {
                text: format!(
                    "the `for` body of `{}` in durable workflow `{}`",
                    b.name, def.name
                ),
                place: format!("the `for` body of `{}` in workflow `{}`", b.name, def.name),
                stem: format!("{}_{}", def.name, b.name),
            },
        }),
    })
}

/// The first body binding that feeds the loop variable `var`, as it is, to a port of a
/// `#[node]` fn (not a field of it, not a workflow or a nested fan-out): its index and
/// the port.
pub(crate) fn item_consumer(var: &Ident, bindings: &[Binding]) -> Option<(usize, Ident)> {
    bindings.iter().enumerate().find_map(|(j, b)| {
        let last = b.node.segments.last()?;
        let node_fn = last
            .ident
            .to_string()
            .starts_with(|c: char| c.is_ascii_lowercase() || c == '_');
        if b.fan_out.is_some() || !node_fn || !crate::codegen::has_ports_callback(&last.ident) {
            return None;
        }
        let arg = b.args.iter().find(|a| {
            a.source.root == *var && a.source.fields.is_empty() && a.source.optional.is_none()
        })?;
        Some((j, arg.port.clone()))
    })
}

impl WorkflowGen<'_> {
    /// The fan-out bindings, by index.
    fn fan_outs(&self) -> impl Iterator<Item = (usize, &Binding, &FanOut)> + '_ {
        self.def
            .bindings
            .iter()
            .enumerate()
            .filter_map(|(i, b)| b.fan_out.as_ref().map(|f| (i, b, f)))
    }

    /// `Plan::fan_outs`: `&[(3, <__GalleryEachThumbs as Workflow>::PLAN), ..]`, each
    /// fan-out's node index with the plan of what its items run (the `for` body's
    /// workflow, or `map`'s), for a durable run's fingerprint to hash.
    pub(super) fn fan_out_plans(&self) -> TokenStream {
        let p = &self.p;
        let entries = self.fan_outs().map(|(i, b, f)| {
            let child = match &f.body {
                FanOutBody::For { .. } => {
                    let body = body_name(self.name, &b.name);
                    quote!(#body)
                }
                FanOutBody::Map { workflow } => quote!(#workflow),
            };
            quote!((#i, <#child as #p::Workflow>::PLAN))
        });
        quote!(&[#(#entries),*])
    }

    /// `struct __GalleryFan_thumbs { pub urls: .., pub size: .. }`: the ports of
    /// each fan-out, named after their sources.
    pub(super) fn fan_out_ports_structs(&self) -> TokenStream {
        let p = &self.p;
        let vis = &self.def.vis;
        let structs = self.fan_outs().map(|(i, b, _)| {
            let ident = &self.node_aliases[i];
            let target = b.node.get_ident().unwrap_or(ident);
            let ports = b.args.iter().map(|a| &a.port);
            let types: Vec<TokenStream> = (0..b.args.len())
                .map(|k| fan_out_arg_type(self.def, p, b, k))
                .collect();
            // The type of each port fed by a `match` arm's pattern binding, by its name,
            // for the slot holding the binding (see `pattern_slots`).
            let port_types = b
                .args
                .iter()
                .zip(&types)
                .filter(|(a, _)| !self.def.declares(&a.source.root));
            let port_type_impls = port_types.map(|(a, ty)| {
                let key = crate::codegen::port_key(&syn::ext::IdentExt::unraw(&a.port).to_string());
                quote! {
                    #[automatically_derived]
                    impl #p::PortType<#key> for #target {
                        type Ty = #ty;
                    }
                }
            });
            let doc = format!(
                "Ports of the fan-out `{}` (generated by `workflow!`).",
                b.name
            );
            quote! {
                #[doc = #doc]
                #[doc(hidden)]
                #[allow(non_camel_case_types, dead_code)]
                // Private like a node fn's own type: its `Node` impl names the body's
                // items (private, see `body_def`).
                struct #target {
                    #( #vis #ports: #types, )*
                }
                #(#port_type_impls)*
            }
        });
        quote!(#(#structs)*)
    }

    /// `impl Node` for each fan-out's ports struct: the call runs the child runs. Next to
    /// errors (`stub`), a node with output `()` that never runs.
    pub(super) fn fan_out_node_impls(&self, stub: bool) -> TokenStream {
        let p = &self.p;
        let impls = self.fan_outs().map(|(i, b, f)| {
            let target = &b.node;
            let ports: Vec<&Ident> = b.args.iter().map(|a| &a.port).collect();
            let port_strs = ports.iter().map(|p| p.to_string());
            let label = f.label();
            let attrs = &self.w.bindings[i];
            let collect = attrs.collect;
            let concurrency = attrs.concurrency.map_or(usize::MAX, |n| n as usize);
            let (child, output, input, pick) = if stub {
                // Next to the workflow's errors the body is not expanded, so the item's
                // type is unknown: an error type (through the const holding the errors,
                // see `expand_own`), about which rustc says no more, so that a test
                // reading `run.outputs.ys.len()` adds nothing (`()` made that "no method
                // named `len` found for unit type `()`").
                let errors = super::errors_const(self.name);
                let unknown = quote!(<() as #p::Checked<#p::SendChecked<#errors>>>::T);
                (quote!(), unknown, quote!(), quote!())
            } else {
                self.fan_out_parts(b, f)
            };
            let call = if stub {
                quote!(::core::future::pending())
            } else {
                let items = &ports[0];
                let run = if collect {
                    quote!(#p::fan_out_collect)
                } else {
                    quote!(#p::fan_out)
                };
                // Spanned at the list: a list that is not one is reported there.
                let list_span = f.items.root.span();
                // The whole call is spanned at the list, for the bounds on its instance
                // (a list that is not one is reported there), except a `map`'s item
                // function, whose checks belong at the workflow.
                let head = respan(quote!(#run::<#child, _, _>), list_span);
                let options = respan(
                    quote!(ctx, #items, #p::FanOutOptions { concurrency: #concurrency, collect: #collect },),
                    list_span,
                );
                let input = match f.body {
                    FanOutBody::For { .. } => respan(input, list_span),
                    FanOutBody::Map { .. } => input,
                };
                let pick = respan(pick, list_span);
                // `Some` when the child workflow is durable: a durable run then records
                // each item's nodes (a `for` body of a durable workflow is durable).
                let codec = respan(
                    quote!({
                        #[allow(unused_imports)]
                        use #p::{ViaDurableItems as _, ViaPlainItems as _};
                        (&&#p::ItemsProbe::<#child>::NEW).item_codec()
                    },),
                    list_span,
                );
                let mut args = proc_macro2::Group::new(
                    proc_macro2::Delimiter::Parenthesis,
                    quote!(#options #codec #input, #pick),
                );
                args.set_span(list_span);
                let call = quote!(#head #args);
                quote! {
                    let Self { #(#ports),* } = self;
                    #call
                }
            };
            let output = if stub || !collect {
                if stub { output } else { quote!(#p::Vec<#output>) }
            } else {
                quote!(#p::Vec<#p::Result<#output, #p::WorkflowError>>)
            };
            quote! {
                #[automatically_derived]
                #[allow(unused_qualifications, unused_variables, clippy::all)]
                impl #p::Node for #target {
                    const NAME: &'static str = #label;
                    const PORTS: &'static [&'static str] = &[#(#port_strs),*];
                    const POLICY: #p::NodePolicy = #p::NodePolicy::DEFAULT;
                    const RESOURCES: &'static [#p::ResourceReq] = &[];
                    const CONTAINER: bool = true;
                    type Output = #output;
                    type Error = #p::WorkflowError;

                    fn call(
                        self,
                        ctx: #p::Context,
                    ) -> impl #p::Future<Output = #p::NodeResult<Self::Output>> + ::core::marker::Send + 'static {
                        #call
                    }

                    fn try_clone(&self) -> #p::Option<Self> {
                        #[allow(unused_imports)]
                        use #p::{ViaClone as _, ViaNoClone as _};
                        #p::Option::Some(Self {
                            #( #ports: (&&#p::CloneProbe(&self.#ports)).probe_clone()?, )*
                        })
                    }
                }
            }
        });
        quote!(#(#impls)*)
    }

    /// The child workflow, the type an item keeps, the item's input and the pick of a
    /// fan-out's call.
    fn fan_out_parts(
        &self,
        b: &Binding,
        f: &FanOut,
    ) -> (TokenStream, TokenStream, TokenStream, TokenStream) {
        let p = &self.p;
        match &f.body {
            FanOutBody::For { var, result, .. } => {
                let child = body_name(self.name, &b.name);
                let child_input = super::input_struct_name(&child);
                let child_output = super::output_struct_name(&child);
                let result_alias = format_ident!("__{}Node_{}", child, result);
                let captures = b.args.iter().skip(1).map(|a| &a.port);
                let shares = captures.clone();
                // An item typed by the port it feeds passes the binding's `Item` check
                // (edges.rs), which names that port when the list holds something else.
                let item = match (
                    &f.body,
                    self.def.bindings.iter().position(|x| std::ptr::eq(x, b)),
                ) {
                    (FanOutBody::For { bindings, .. }, Some(i))
                        if item_consumer(var, bindings).is_some() =>
                    {
                        let span = f.items.root.span();
                        let module = self.edge_module(i, span);
                        quote_spanned!(span=> #module::Item::__from_source(#var))
                    }
                    _ => quote!(#var),
                };
                (
                    quote!(#child),
                    quote!(#p::Output<#result_alias>),
                    quote! {
                        move |#var| #child_input {
                            #var: #item,
                            #( #captures: #p::SharedOutput::__share(&#shares), )*
                        }
                    },
                    quote!(|out: #child_output| out.#result),
                )
            }
            FanOutBody::Map { workflow } => {
                let span = workflow
                    .segments
                    .last()
                    .map_or_else(Span::call_site, |s| s.ident.span());
                // Each item passes the binding's `Item` check (edges.rs), so a list of
                // other items is one error naming the workflow. At the workflow, like the
                // `MapInput` check: a workflow without exactly one input is one error.
                let item = match self.def.bindings.iter().position(|x| std::ptr::eq(x, b)) {
                    Some(i) => {
                        let module = self.edge_module(i, span);
                        quote_spanned!(span=> #module::Item::__from_source(__item))
                    }
                    None => quote!(__item),
                };
                let input = quote_spanned! {span=>
                    move |__item| <<#workflow as #p::Workflow>::Input as #p::MapInput>::from_item(#item)
                };
                (
                    quote!(#workflow),
                    quote!(<#workflow as #p::Workflow>::Output),
                    input,
                    quote!(|out| out),
                )
            }
        }
    }

    /// `impl MapInput for RenderInput` for a workflow with exactly one input, so that
    /// `map(Render, items)` can build its input from one item.
    pub(super) fn map_input_impl(&self) -> TokenStream {
        let [only] = self.declared_inputs.as_slice() else {
            return TokenStream::new();
        };
        let p = &self.p;
        let input_name = &self.input_name;
        let field = &self.def.inputs[*only].name;
        let ty = &self.input_aliases[*only];
        // Spanned at the input's type, as `PortType`'s `Ty`: a private input type of a
        // `pub` workflow is rustc's E0446 there (once), not at the whole `workflow!` call.
        let item = quote_spanned!(self.def.inputs[*only].ty_span()=> type Item = #ty;);
        // Not listed when another workflow's input is not one (rustc would point at this
        // workflow's whole `workflow!` call); the error's note says what to do.
        quote! {
            #[automatically_derived]
            #[diagnostic::do_not_recommend]
            impl #p::MapInput for #input_name {
                #item
                fn from_item(item: #ty) -> Self {
                    Self { #field: item }
                }
            }
        }
    }
}
