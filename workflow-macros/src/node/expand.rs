//! `#[node]` code generation, one function per generated piece.
//!
//! Input:
//! ```text
//! #[node(timeout = "1s")]
//! pub async fn parse(raw: Page, http: Res<Http>, ctx: &Context) -> Result<Items, E> { .. }
//! ```
//! Output: the fn unchanged, plus
//! ```text
//! #[::workflow_core::__private::node_items(       // emits what follows after the struct
//!     const __wf_send_parse_..: usize = ..;         // send_check: ports and output are `Send`
//!     macro_rules! __wf_node_parse_.. { .. }        // ports_callback: the port names
//!     pub use __wf_node_parse_.. as parse;
//!     const _: () = { .. };                         // below
//! )]
//! pub struct parse { pub raw: Page }            // ports_struct: the input ports (type namespace only)
//! const _: () = {
//!     const _: () = <Page as RetryInput>::__IS_CLONE;   // retry_input_checks (retried nodes)
//!     impl ::workflow_core::__private::Node for parse {  // node_impl
//!         const NAME = "parse"; const PORTS = &["raw"]; const POLICY = ..; const RESOURCES = ..;
//!         type Output = Items; type Error = E;        // output_types
//!         fn call(self, ctx) -> impl Future<..> {     // call_body
//!             async move { let http = (&&ResourceProbe::<Http>::NEW).__fetch(&ctx)?; match parse(raw, http, context_param(&ctx)).await { Ok(v) => Ok(v), Err(e) => failed(<_ as NodeError>::__into_box_error(e)) } }
//!         }
//!         fn try_clone(&self) -> Option<Self> { .. }  // try_clone_fn: one probe of the struct's `Clone`
//!     }
//!     impl Clone for parse where for<'__wf> Page: Clone { .. }  // ports_clone_impl
//! };
//! ```

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{Ident, ItemFn};

use super::ast::{NodeFn, OutputKind, ParamKind};
use super::attr::NodeArgs;
use crate::codegen::{default_crate, private, respan};
use crate::internals::not_send;

/// `ty`, or `ty` with `Arc` for `Rc` (see `check::check_send`).
fn sendable(ty: &syn::Type) -> syn::Type {
    not_send::sendable(ty).unwrap_or_else(|| ty.clone())
}

/// Expands a checked `#[node]` fn: the fn itself, its ports struct and its `Node` impl.
///
/// `errors` are the node's own errors when its fn is usable (bad options, see
/// `node::expand`): they go in the const `fetch::__WF_ERRORS`, which the node's
/// `@resolved` callback names, so that in a workflow the node is an error type about
/// which nothing more is reported (a durable workflow's "cannot be recorded" for a
/// `#[node(ephemeral)]`, say): the options are the one mistake to fix.
pub(crate) fn expand(
    item: &ItemFn,
    node: &NodeFn,
    args: &NodeArgs,
    errors: Option<TokenStream>,
) -> TokenStream {
    // A `Box<dyn Error>` without `Send + Sync` is reported (see `convert_result`); the fn
    // is emitted with `Box<dyn Error + Send + Sync>` instead, so that a `?` in its body
    // (which has no `From` into `Box<dyn Error + Send>`) is not a second error.
    let sendable = with_sendable_error(item);
    let emitted = sendable.as_ref().unwrap_or(item);
    expand_node(emitted, item, node, args, NodeErrors::Options(errors))
}

/// Where a node's errors go (see [`expand`] and [`stand_in`]).
enum NodeErrors {
    /// A usable fn: its option errors, if any, in `fetch::__WF_ERRORS`.
    Options(Option<TokenStream>),
    /// A stand-in's errors const (see [`stand_in`]), its name, and whether the const
    /// holds errors (`false`: the fn's one error is rustc's, see [`stand_in`]).
    StandIn(TokenStream, Ident, bool),
}

/// Expands a `#[node]` fn whose shape is an error: the fn as written, and the node of
/// `fixed`, the fn as its errors say to write it (see `stand_in::repair`), whose `call`
/// never runs. A workflow calling the fn then finds its ports and adds no error of its
/// own.
///
/// The fn's `errors` are emitted in the const `errors.0` (see [`errors_const`]), a
/// module-level item of the node: a type that cannot be guessed is named through it (an
/// error type then), and in an `impl` block, where rustc rejects the ports struct and
/// with it the node's other items, the fn's own errors wait until it is moved out (one
/// error, "struct is not supported in `trait`s or `impl`s", at `#[node]`).
///
/// When the fn's one error is rustc's (an output borrowing with an elided lifetime,
/// E0106: `ours` is false), the const holds no error and the stand-in is no error type:
/// its calls are then checked as a usable node's (an unchecked `name {}` would be
/// rustc's "missing field" at the call, a second error).
pub(crate) fn stand_in(
    item: &ItemFn,
    fixed: &ItemFn,
    args: &NodeArgs,
    errors: (&Ident, TokenStream, bool),
) -> TokenStream {
    let node = NodeFn::from_item(fixed);
    let (name, errors, ours) = errors;
    let errors = quote! {
        #[doc(hidden)]
        #[allow(non_upper_case_globals)]
        const #name: usize = { #errors 0 };
    };
    expand_node(
        item,
        fixed,
        &node,
        args,
        NodeErrors::StandIn(errors, name.clone(), ours),
    )
}

/// The const holding the errors of a misshapen fn (see [`stand_in`]), and the type a
/// stand-in has where the fix cannot be guessed: `()` through that const, an error type
/// about which rustc reports nothing more (see `Checked`).
pub(crate) fn errors_const(item: &ItemFn, args: &NodeArgs) -> (Ident, syn::Type) {
    let unraw = syn::ext::IdentExt::unraw(&item.sig.ident).to_string();
    let name = Ident::new(
        &format!("__wf_errors_{unraw}_{}", unique_suffix(item)),
        Span::call_site(),
    );
    let p = private(&args.krate.clone().unwrap_or_else(default_crate));
    let unknown = syn::parse_quote!(<() as #p::Checked<#p::SendChecked<#name>>>::T);
    (name, unknown)
}

/// `emitted` (the fn), then the node generated from `item`/`node`; a stand-in's
/// (`errors` is its errors' const, see [`stand_in`]) never runs.
fn expand_node(
    emitted: &ItemFn,
    item: &ItemFn,
    node: &NodeFn,
    args: &NodeArgs,
    errors: NodeErrors,
) -> TokenStream {
    // What `fetch::__WF_ERRORS` holds (see `ports_callback`'s `@resolved`): the options'
    // errors, or a stand-in's (named, not repeated).
    let (stand_in, option_errors, errors, unchecked_calls) = match errors {
        NodeErrors::StandIn(errors, name, ours) => (true, Some(quote!(#name)), Some(errors), ours),
        NodeErrors::Options(errors) => (false, errors.map(|e| quote!({ #e 0 })), None, false),
    };
    let krate = args.krate.clone().unwrap_or_else(default_crate);
    let g = NodeGen {
        item,
        node,
        args,
        stand_in,
        unchecked_calls,
        p: private(&krate),
        name: &item.sig.ident,
        send_ok: (!stand_in
            && (node.ports().next().is_some() || !matches!(node.output, OutputKind::Unit)))
        .then(|| {
            let unraw = syn::ext::IdentExt::unraw(&item.sig.ident).to_string();
            Ident::new(
                &format!("__wf_send_{unraw}_{}", unique_suffix(item)),
                Span::call_site(),
            )
        }),
        ctx: Ident::new("__workflow_ctx", Span::mixed_site()),
        broken: option_errors.is_some(),
    };
    let option_errors = option_errors.map(|errors| {
        let (vis, name) = (&item.vis, &item.sig.ident);
        quote! {
            impl #name {
                #[doc(hidden)]
                #vis const __WF_ERRORS: usize = #errors;
            }
        }
    });
    let send_check = g.send_check();
    let ports_callback = g.ports_callback();
    let retry_checks = g.retry_input_checks();
    let result_alias_check = g.result_alias_check();
    let node_impl = g.node_impl();
    let port_type_impls = g.port_type_impls();
    let ports_clone_impl = g.ports_clone_impl();
    let rest = quote! {
        #errors
        #option_errors
        #send_check
        #ports_callback

        #[allow(non_local_definitions, clippy::all, clippy::pedantic, clippy::nursery)]
        const _: () = {
            #retry_checks
            #result_alias_check
            #node_impl
            #port_type_impls
            #ports_clone_impl
        };
    };
    let mut ports_struct = g.ports_struct(&rest);
    // `gen` (reserved in edition 2024) as `r#gen` in the generated items; the fn as
    // written is the one place rustc reports it (see `codegen::raw_gen`).
    if crate::codegen::mentions_gen(&item.sig.to_token_stream()) {
        ports_struct = crate::codegen::raw_gen(ports_struct);
    }
    quote! {
        // `#[node]` requires `async` even when the body never awaits.
        #[allow(clippy::unused_async)]
        #emitted

        #ports_struct
    }
}

/// What every piece is generated from.
struct NodeGen<'a> {
    item: &'a ItemFn,
    node: &'a NodeFn,
    args: &'a NodeArgs,
    /// Whether this is the stand-in of a fn whose shape is an error (see `stand_in`):
    /// no checks of its own, and a `call` that never runs.
    stand_in: bool,
    /// Whether `workflow!` leaves calls of the node unchecked (`node_ports! { ! .. }`):
    /// a stand-in with errors of its own, an error type (see [`stand_in`]).
    unchecked_calls: bool,
    /// `<crate>::__private`.
    p: TokenStream,
    /// The fn's name, which is also the ports struct's.
    name: &'a Ident,
    /// The const that checks that the ports and the output are `Send` (see
    /// `send_check`); `None` when the node has neither.
    send_ok: Option<Ident>,
    /// The `Context` the executor passes to `Node::call` (hygienic).
    ctx: Ident,
    /// Whether the node has errors of its own, its options' or (a stand-in) its fn's
    /// shape: in `fetch::__WF_ERRORS` (see [`expand`], [`stand_in`]).
    broken: bool,
}

/// The `Output` and `Error` types of the `Node` impl and how the fn's result becomes a
/// `NodeResult`.
struct OutputTypes {
    output_ty: TokenStream,
    error_ty: TokenStream,
    /// Whether the fn returns a `Result` (converted by `convert_result`).
    fallible: bool,
    /// Where the fn's result is named: at `E` of `Result<T, E>`, so that a bad error
    /// type is blamed there.
    out_span: Span,
    /// Where the impl's `type Output` and `type Error` items are spanned: at the written
    /// return type, so that a private type in a `pub` node's result (rustc's E0446 for
    /// an associated type, a hard error where the plain fn compiles) is blamed there,
    /// once, rather than at `#[node]`.
    items_span: Span,
}

impl NodeGen<'_> {
    fn port_idents(&self) -> Vec<&Ident> {
        self.node.ports().map(|(ident, _)| ident).collect()
    }

    /// The local that holds a port or resource inside `call`: hygienic (like `ctx`), so a
    /// parameter named like the fn itself (`async fn price(price: f64)`) does not shadow
    /// the fn that `call` calls.
    fn param_local(ident: &Ident) -> Ident {
        let unraw = syn::ext::IdentExt::unraw(ident);
        Ident::new(&format!("__workflow_param_{unraw}"), Span::mixed_site())
    }

    /// The ports' types, with `Arc` for a visibly non-`Send` `Rc` (already reported,
    /// see `check_send`), so that no `Send` bound reports it again; named through
    /// `checked`.
    fn port_types(&self) -> Vec<TokenStream> {
        self.node
            .ports()
            .map(|(_, ty)| self.checked(&sendable(ty)))
            .collect()
    }

    /// `ty` named through the node's `Send` check: `ty` when the ports and the output
    /// are all `Send`, an error type (about which rustc says nothing more) when one is
    /// not.
    fn checked(&self, ty: &dyn quote::ToTokens) -> TokenStream {
        let p = &self.p;
        match &self.send_ok {
            Some(ok) => quote!(<#ty as #p::Checked<#p::SendChecked<#ok>>>::T),
            None => quote!(#ty),
        }
    }

    /// `const __wf_send_parse_..: usize = { must_be_send::<Page>(); .. 0 };`:
    /// each port's type and the output must be `Send` to cross threads. Checked here
    /// once, spanned at each type, so a type that is not `Send` (such as a struct
    /// holding an `Rc`) is one error, at the fn's signature; the ports struct, the
    /// output and the future are named through this const (`checked`), so nothing else
    /// reports it again, here or in a workflow using the node.
    fn send_check(&self) -> TokenStream {
        let Some(ok) = &self.send_ok else {
            return quote!();
        };
        let p = &self.p;
        let ports = self.node.ports().map(|(_, ty)| (ty.span(), sendable(ty)));
        let checks = ports
            .map(|(span, ty)| quote_spanned!(span=> #p::must_be_send::<#ty>();))
            .chain(match &self.node.output {
                OutputKind::Unit => None,
                OutputKind::Plain(written) => {
                    let ty = sendable(written);
                    Some(quote_spanned!(written.span()=> #p::must_be_send::<#ty>();))
                }
                OutputKind::Fallible(written) => {
                    let ty = sendable(written);
                    Some(quote_spanned!(written.span()=>
                        #p::must_be_send::<<#ty as #p::FallibleReturn>::Ok>();
                    ))
                }
            });
        quote! {
            #[doc(hidden)]
            #[allow(non_upper_case_globals)]
            const #ok: usize = {
                #(#checks)*
                0
            };
        }
    }

    /// Whether a port or the output had an `Rc` replaced: the node is an error then,
    /// and `call` is a stub that never runs.
    fn replaced_not_send(&self) -> bool {
        let output = match &self.node.output {
            OutputKind::Plain(ty) | OutputKind::Fallible(ty) => Some(ty),
            OutputKind::Unit => None,
        };
        self.node
            .ports()
            .map(|(_, ty)| ty)
            .chain(output)
            .any(|ty| not_send::sendable(ty).is_some())
    }

    /// `pub struct parse { pub raw: Page }`: the input ports, which `workflow!` fills
    /// (that literal is how rustc checks every edge).
    ///
    /// It carries the node's other module-level items (`rest`) in a `node_items`
    /// attribute, which emits them after it. In an `impl` or a `trait` (a `#[node]` on
    /// a method or associated fn) rustc rejects the struct before expanding the
    /// attribute, so that mistake is this one error, at the fn's `fn`, instead of one
    /// per item and the unresolved names in them.
    fn ports_struct(&self, rest: &TokenStream) -> TokenStream {
        let vis = &self.item.vis;
        let name = self.name;
        let idents = self.port_idents();
        let types = self.port_types();
        let docs = idents.iter().map(|i| format!("Input port `{i}`."));
        let struct_doc = format!(
            "Input ports of the [`{name}()`] node, generated by `#[node]` for `workflow!`."
        );
        let p = &self.p;
        let struct_token = quote_spanned!(self.item.sig.fn_token.span=> struct);
        quote! {
            #[#p::node_items(#rest)]
            #[doc = #struct_doc]
            #[doc(hidden)]
            #[allow(non_camel_case_types, dead_code)]
            #vis #struct_token #name {
                #(
                    #[doc = #docs]
                    #vis #idents: #types,
                )*
            }
        }
    }

    /// The node's ports in the macro namespace, under the fn's own name, so that
    /// wherever `workflow!` can name `parse` it can also call `parse! { .. }` and learn
    /// the ports (to report a port mistake in the DSL's terms, see
    /// `workflow/expand/ports.rs`). Only names travel: the types stay in the ports struct.
    ///
    /// A `pub` fn's callback is `#[macro_export]`ed (usable from other crates) under a
    /// crate-unique name and re-exported under the fn's name; any other fn's is
    /// `pub(crate)`. Skipped for names that would shadow a prelude macro (`vec`, `write`,
    /// ..): `workflow!` falls back to a plain struct literal for those.
    fn ports_callback(&self) -> TokenStream {
        let name = self.name;
        if !crate::codegen::has_ports_callback(name) {
            return quote!();
        }
        let unraw = syn::ext::IdentExt::unraw(name).to_string();
        let hidden = Ident::new(
            &format!("__wf_node_{unraw}_{}", unique_suffix(self.item)),
            name.span(),
        );
        let ports = self.port_idents();
        // Ports typed `Arc<T>` or `EventQueue<T>`, for the unconnected-port error's hint
        // (see `node_ports`).
        let shared: Vec<&Ident> = self
            .node
            .ports()
            .filter(|(_, ty)| is_shared_handle(ty))
            .map(|(ident, _)| ident)
            .collect();
        // Ports of a type named like a service (`db: Db`, `http: HttpClient`), for the
        // same hint: `[port Type ..]` after the shared ones.
        let services: Vec<(&Ident, &Ident)> = self
            .node
            .ports()
            .filter_map(|(ident, ty)| service_type(ty).map(|t| (ident, t)))
            .collect();
        let shared = (!shared.is_empty() || !services.is_empty()).then(|| {
            let services = services.iter().map(|(port, ty)| quote!(#port #ty));
            quote!([#(#shared)*] [#(#services)*])
        });
        let (mut context, mut resources) = (Vec::new(), Vec::new());
        for param in &self.node.params {
            match (&param.ident, &param.kind) {
                (Some(ident), ParamKind::Context) => context.push(ident),
                (Some(ident), ParamKind::Resource(_)) => resources.push(ident),
                _ => {}
            }
        }
        // `@resolved fetch` (the node's path in the workflow): `0`, or the const holding
        // the options' errors, an error then (see `expand`).
        let resolved = if self.broken {
            quote!($($path)*::__WF_ERRORS)
        } else {
            quote!(0)
        };
        // A stand-in's calls are not checked (`!`, see `node_ports`): its ports are a
        // guess, and the fn's error is the mistake to fix (a destructured parameter has
        // no port, `db: &Db` may be a resource to take as `Res<Db>`).
        let stand_in = self.unchecked_calls.then(|| quote!(!));
        let rules = quote! {
            ({$($p:tt)*} @type $($path:tt)*) => { $($path)* };
            ({$($p:tt)*} @resolved $($path:tt)*) => { #resolved };
            ({$($p:tt)*} @claim $($rest:tt)*) => {
                $($p)*::node_claims! { [#(#ports)*] $($rest)* }
            };
            ({$($p:tt)*} $($call:tt)*) => {
                $($p)*::node_ports! {
                    #stand_in #name [#(#ports)*] [#(#context)*] [#(#resources)*] #shared $($call)*
                }
            };
        };
        let vis = &self.item.vis;
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
            // `pub(crate)` whatever the fn's visibility, so that naming a private node
            // from outside its module is rustc's privacy error about the node (its
            // ports struct), not about this hidden macro (whose name it would print).
            quote! {
                #[doc(hidden)]
                macro_rules! #hidden { #rules }
                #[doc(hidden)]
                #[allow(unused_imports)]
                pub(crate) use #hidden as #name;
            }
        }
    }

    /// `impl PortType<key> for <ports struct>` per port: the port's type by its name, for
    /// `workflow!` (the slot of a `match` arm's pattern binding takes the type of the
    /// port it feeds).
    ///
    /// A node of one port implements it for every key: a call that names that port
    /// wrongly (`cheap(n)` for port `x`) is one error, `node_ports!`'s "connect `n` to its
    /// port `x` with `x: n`", and the slot of pattern binding `n` still has the type meant.
    fn port_type_impls(&self) -> TokenStream {
        let (p, name) = (&self.p, self.name);
        let mut ports = self.node.ports();
        if let (Some((_, ty)), None) = (ports.next(), ports.next()) {
            let sendable_ty = self.checked(&sendable(ty));
            // At the port's type: a private type there in a `pub` node is blamed on it
            // (see `OutputTypes::items_span`).
            let ty_item = quote_spanned!(ty.span()=> type Ty = #sendable_ty;);
            return quote! {
                #[automatically_derived]
                impl<const KEY: u64> #p::PortType<KEY> for #name {
                    #ty_item
                }
            };
        }
        let impls = self.node.ports().map(|(ident, ty)| {
            let key = crate::codegen::port_key(&syn::ext::IdentExt::unraw(ident).to_string());
            let sendable_ty = self.checked(&sendable(ty));
            let ty_item = quote_spanned!(ty.span()=> type Ty = #sendable_ty;);
            quote! {
                #[automatically_derived]
                impl #p::PortType<#key> for #name {
                    #ty_item
                }
            }
        });
        quote!(#(#impls)*)
    }

    /// A retried node is called again with the same inputs, so each must be `Clone`;
    /// one assertion per port, spanned at its type.
    fn retry_input_checks(&self) -> TokenStream {
        if self.stand_in
            || self.args.policy.retry.is_none()
            || super::check::retry_is_dead(self.node, self.args)
        {
            return quote!();
        }
        let p = &self.p;
        let checks = self
            .node
            .ports()
            .map(|(_, ty)| (ty.span(), sendable(ty)))
            .map(|(span, ty)| {
                quote_spanned! {span=> const _: () = <#ty as #p::RetryInput>::__IS_CLONE; }
            });
        quote!(#(#checks)*)
    }

    /// A plain output (a return type not written `Result<..>`) that is a `Result`
    /// through an alias (`-> PayResult<Receipt>`) is one error at the return type: the
    /// macro would take the `Result` as the node's value, and an `Err` would pass as a
    /// success (see `__private::OutputProbe`). Not for a generic fn, whose return type
    /// may name its parameters (and is not a `Result` unless written one).
    fn result_alias_check(&self) -> TokenStream {
        let OutputKind::Plain(written) = &self.node.output else {
            return quote!();
        };
        if self.stand_in || self.broken || !self.item.sig.generics.params.is_empty() {
            return quote!();
        }
        let p = &self.p;
        quote_spanned! {written.span()=>
            #[allow(unused_imports)]
            use #p::{ProbePlainOutput as _, ProbeResultOutput as _};
            #[allow(dead_code)]
            fn __workflow_output_is_not_a_result() {
                #p::plain_output_is_not_a_result::<#written, _>(
                    (&#p::OutputProbe::<#written>::NEW).__probe_output(),
                );
            }
        }
    }

    fn output_types(&self) -> OutputTypes {
        let p = &self.p;
        match &self.node.output {
            OutputKind::Unit => OutputTypes {
                output_ty: quote!(()),
                error_ty: quote!(::core::convert::Infallible),
                fallible: false,
                out_span: Span::call_site(),
                items_span: Span::call_site(),
            },
            OutputKind::Plain(written) => {
                let ty = self.checked(&sendable(written));
                OutputTypes {
                    output_ty: quote_spanned!(written.span()=> #ty),
                    error_ty: quote!(::core::convert::Infallible),
                    fallible: false,
                    out_span: Span::call_site(),
                    items_span: written.span(),
                }
            }
            OutputKind::Fallible(written) => {
                // A bad error type is reported once, at `E` in `Result<T, E>`.
                let err_span = result_error_span(written);
                let ty = &sendable(written);
                let ok = self.checked(&quote_spanned!(ty.span()=> <#ty as #p::FallibleReturn>::Ok));
                OutputTypes {
                    output_ty: ok,
                    error_ty: quote_spanned!(ty.span()=> <#ty as #p::FallibleReturn>::Err),
                    fallible: true,
                    out_span: err_span,
                    items_span: written.span(),
                }
            }
        }
    }

    /// The `Node` impl: its consts and types, `call` and `try_clone`.
    fn node_impl(&self) -> TokenStream {
        let p = &self.p;
        let name = self.name;
        let name_str = name.to_string();
        let ctx = &self.ctx;
        let port_strs = self.port_idents().into_iter().map(|i| i.to_string());
        let resource_types = self
            .node
            .params
            .iter()
            .filter_map(|param| match &param.kind {
                ParamKind::Resource(inner) => Some(quote!(#inner)),
                _ => None,
            });
        let out = self.output_types();
        let policy = crate::codegen::policy(
            &self.args.policy,
            quote!(#p::NodePolicy::DEFAULT),
            p,
            &out.error_ty,
        );
        let OutputTypes {
            output_ty,
            error_ty,
            fallible,
            items_span,
            ..
        } = &out;
        // Both at the return type: a private type in it is then one error there (rustc
        // reports the two items' identical errors once).
        let output_item = quote_spanned!(*items_span=> type Output = #output_ty;);
        let error_item = quote_spanned!(*items_span=> type Error = #error_ty;);
        let port_idents = self.port_idents();
        let call_ret = respan(
            quote!(impl #p::Future<Output = #p::NodeResult<Self::Output>> + ::core::marker::Send + 'static),
            name.span(),
        );
        let body = self.call_body(&out);
        // Through the `Send` check, so that a future holding a port that is not `Send`
        // is not a second error (the check already reported the port's type).
        let body = match &self.send_ok {
            Some(ok) => quote_spanned! {name.span()=>
                <_ as #p::Checked<#p::SendChecked<#ok>>>::pass({ #body })
            },
            None => body,
        };
        let destructure = if self.stand_in || self.replaced_not_send() {
            quote!()
        } else {
            let locals = port_idents.iter().map(|ident| Self::param_local(ident));
            quote!(let Self { #(#port_idents: #locals),* } = self;)
        };
        let try_clone = self.try_clone_fn();
        let version = self.args.version.map(|n| quote!(const VERSION: u32 = #n;));
        // A fn whose parameters are all ports (no `&Context`, no `Res<T>`) never reads
        // its context: the executor then hands it a detached one (no clone of the run's
        // `Arc`).
        let reads_context = self
            .node
            .params
            .iter()
            .any(|param| !matches!(param.kind, ParamKind::Port));
        let context = (!reads_context).then(|| {
            quote!(
                const CONTEXT: bool = false;
            )
        });
        quote! {
            #[automatically_derived]
            #[allow(unused_qualifications, clippy::all)]
            impl #p::Node for #name {
                const NAME: &'static str = #name_str;
                const PORTS: &'static [&'static str] = &[#(#port_strs),*];
                const POLICY: #p::NodePolicy = #policy;
                const RESOURCES: &'static [#p::ResourceReq] =
                    &[#(#p::ResourceReq::of::<#resource_types>()),*];
                #version
                #context
                const FALLIBLE: bool = #fallible;
                #output_item
                #error_item

                // Inline: it only builds the future, and a caller in another crate
                // (a workflow using this node, a fused segment's chain of calls) could
                // not inline it otherwise (issue 17).
                #[inline]
                fn call(
                    self,
                    #ctx: #p::Context,
                ) -> #call_ret {
                    #destructure
                    #body
                }

                #try_clone
            }
        }
    }

    /// The future `call` returns: fetch the resources, call the fn (or run it on the
    /// blocking pool), convert its result. Spanned at the fn's name, so a future that is
    /// not `Send` is reported there.
    fn call_body(&self, out: &OutputTypes) -> TokenStream {
        let p = &self.p;
        let name = self.name;
        let ctx = &self.ctx;
        let mut fetch_resources = Vec::new();
        let mut call_args = Vec::new();
        for param in &self.node.params {
            let Some(ident) = &param.ident else { continue };
            match &param.kind {
                ParamKind::Resource(inner) => {
                    let fetch = resource_fetch(p, inner, ctx);
                    let local = Self::param_local(ident);
                    fetch_resources.push(quote_spanned! {param.ty.span()=>
                        let #local = #fetch?;
                    });
                    call_args.push(quote!(#local));
                }
                // Through `context_param`, spanned at the parameter's type: a type of
                // the user's named `Context` is then one error there, saying so.
                ParamKind::Context => {
                    // At `Context` of `&Context`: a reference type's own span is its `&`.
                    let at = match &param.ty {
                        syn::Type::Reference(r) => r.elem.span(),
                        ty => ty.span(),
                    };
                    let p = respan(p.clone(), at);
                    call_args.push(quote_spanned!(at=> #p::context_param(&#ctx)));
                }
                _ => {
                    let local = Self::param_local(ident);
                    call_args.push(quote!(#local));
                }
            }
        }
        if self.stand_in {
            // The fn is an error as written (see `stand_in`): never called.
            return quote_spanned! {name.span()=>
                let _ = (self, #ctx);
                ::core::future::pending::<#p::NodeResult<Self::Output>>()
            };
        }
        if self.replaced_not_send() {
            // An `Rc` port or output, reported by `check_send`: the ports and output
            // have `Arc` in its place, which the fn does not take, so it is not called.
            return quote_spanned! {name.span()=>
                let _ = (self, #ctx, #name);
                ::core::future::pending::<#p::NodeResult<Self::Output>>()
            };
        }
        let result = Ident::new("__workflow_out", out.out_span);
        let convert = self.convert_result(out, &result);
        if self.args.blocking.is_some() {
            // The closure owns the ports and the context; a panic in it is resumed in the
            // node's future, where the executor reports it like any other node panic.
            quote_spanned! {name.span()=>
                async move {
                    #(#fetch_resources)*
                    #p::spawn_blocking(move || {
                        let #result = #name(#(#call_args),*);
                        #convert
                    })
                    .await
                }
            }
        } else {
            quote_spanned! {name.span()=>
                async move {
                    #(#fetch_resources)*
                    let #result = #name(#(#call_args),*).await;
                    #convert
                }
            }
        }
    }

    /// The fn's result as a `NodeResult`. A fallible fn's error is boxed through
    /// `NodeError`, spanned at `E`, so a bad error type is one error, there.
    fn convert_result(&self, out: &OutputTypes, result: &Ident) -> TokenStream {
        let p = &self.p;
        if !out.fallible {
            return quote!(#p::infallible(#result));
        }
        let p_err = respan(p.clone(), out.out_span);
        if let OutputKind::Fallible(ty) = &self.node.output {
            if let Some(err) = box_dyn_error_not_send_sync(ty) {
                // rustc would say three things about `dyn Error` (not `Send`, not
                // `Sync`, not `Sized`); one error says the fix.
                let e = syn::Error::new_spanned(
                    err,
                    "a node's error must be `Send + Sync` to cross threads: write `Box<dyn Error + Send + Sync>` (or `workflow_core::BoxError`)",
                )
                .to_compile_error();
                return quote! {
                    match #result {
                        #p::Result::Ok(v) => #p::Result::Ok(v),
                        #p::Result::Err(_) => #e,
                    }
                };
            }
        }
        let boxed = quote_spanned! {out.out_span=> {
            #[allow(unused_imports)]
            use #p_err::{ConvertNodeError as _, UnsupportedNodeError as _};
            (&&#p_err::ErrorProbe::new(e)).convert_node_error()
        }};
        quote! {
            match #result {
                #p::Result::Ok(v) => #p::Result::Ok(v),
                #p::Result::Err(e) => #p::failed(#boxed),
            }
        }
    }

    /// `try_clone`: a copy of the ports if every one is `Clone` (autoref specialization
    /// through `CloneProbe`), for the next attempt of a retried node.
    fn try_clone_fn(&self) -> TokenStream {
        let p = &self.p;
        quote! {
            #[inline]
            fn try_clone(&self) -> #p::Option<Self> {
                #[allow(unused_imports)]
                use #p::{ViaClone as _, ViaNoClone as _};
                (&&#p::CloneProbe(self)).probe_clone()
            }
        }
    }

    /// `impl Clone for <ports struct>` when every port is `Clone` (each bound behind a
    /// `for<'__wf>`, so that a port that is not `Clone` leaves the impl out rather than
    /// being an error): what `try_clone` calls, one probe for the whole struct. A probe
    /// per port with a `?` each was ~38 lines of LLVM IR a port, the largest function
    /// of a workflow whose sink takes 1,000 inputs (issue 17's compile time); a plain
    /// field-by-field clone is a few.
    fn ports_clone_impl(&self) -> TokenStream {
        let name = self.name;
        let idents = self.port_idents();
        let types = self.port_types();
        quote! {
            #[automatically_derived]
            impl ::core::clone::Clone for #name
            where
                #( for<'__wf> #types: ::core::clone::Clone, )*
            {
                #[inline]
                fn clone(&self) -> Self {
                    Self { #( #idents: ::core::clone::Clone::clone(&self.#idents), )* }
                }
            }
        }
    }
}

/// `item` with `E` in its `-> Result<T, Box<dyn Error ..>>` replaced by
/// `Box<dyn Error + Send + Sync>`, when the trait object lacks `Send` or `Sync`.
fn with_sendable_error(item: &ItemFn) -> Option<ItemFn> {
    let syn::ReturnType::Type(_, ty) = &item.sig.output else {
        return None;
    };
    let span = syn::spanned::Spanned::span(box_dyn_error_not_send_sync(ty)?);
    let mut item = item.clone();
    let syn::ReturnType::Type(_, ty) = &mut item.sig.output else {
        return None;
    };
    let syn::Type::Path(tp) = &mut **ty else {
        return None;
    };
    let syn::PathArguments::AngleBracketed(args) = &mut tp.path.segments.last_mut()?.arguments
    else {
        return None;
    };
    let err = args
        .args
        .iter_mut()
        .filter_map(|a| match a {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        })
        .nth(1)?;
    *err = syn::parse_quote_spanned!(span=>
        ::std::boxed::Box<dyn ::std::error::Error + ::core::marker::Send + ::core::marker::Sync>
    );
    Some(item)
}

/// `E` in `Result<T, Box<dyn Error>>` when the trait object lacks `Send` or `Sync`.
fn box_dyn_error_not_send_sync(ty: &syn::Type) -> Option<&syn::Type> {
    let last_args = |ty: &'_ syn::Type| -> Option<Vec<syn::Type>> {
        let syn::Type::Path(tp) = ty else { return None };
        let last = tp.path.segments.last()?;
        let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
            return None;
        };
        Some(
            args.args
                .iter()
                .filter_map(|a| match a {
                    syn::GenericArgument::Type(t) => Some(t.clone()),
                    _ => None,
                })
                .collect(),
        )
    };
    let syn::Type::Path(tp) = ty else { return None };
    let syn::PathArguments::AngleBracketed(args) = &tp.path.segments.last()?.arguments else {
        return None;
    };
    let err = args
        .args
        .iter()
        .filter_map(|a| match a {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        })
        .nth(1)?;
    let syn::Type::Path(err_path) = err else {
        return None;
    };
    if err_path.path.segments.last()?.ident != "Box" {
        return None;
    }
    let inner = last_args(err)?;
    let [syn::Type::TraitObject(obj)] = inner.as_slice() else {
        return None;
    };
    let traits: Vec<String> = obj
        .bounds
        .iter()
        .filter_map(|b| match b {
            syn::TypeParamBound::Trait(t) => t.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        })
        .collect();
    let has = |name: &str| traits.iter().any(|t| t == name);
    (has("Error") && !(has("Send") && has("Sync"))).then_some(err)
}

/// The lookup of a `Res<T>` parameter, spanned at `T`: through `ResourceProbe`, so that a
/// `T` that is not `Send + Sync` is one error there (`SharedResource`), not one per
/// missing auto trait. The one place that requires it.
fn resource_fetch(p: &TokenStream, inner: &syn::Type, ctx: &Ident) -> TokenStream {
    let p_ty = respan(p.clone(), inner.span());
    quote_spanned! {inner.span()=>
        {
            #[allow(unused_imports)]
            use #p_ty::{ResourceNotShared as _, ResourceShared as _};
            <_ as #p_ty::SharedResource<#inner>>::__resource(
                (&&#p_ty::ResourceProbe::<#inner>::NEW).__fetch(&#ctx),
            )
        }
    }
}

/// A suffix that tells apart the callbacks of one crate (`#[macro_export]` puts them all
/// at its root): a hash of the fn and of where it is (its span's `Debug` form names its
/// place in the source), so that two identical fns in different modules differ, and
/// each build names them the same.
fn unique_suffix(item: &ItemFn) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    quote!(#item).to_string().hash(&mut h);
    format!("{:?}", item.sig.ident.span()).hash(&mut h);
    format!("{:x}", h.finish() & 0xffff_ffff)
}

/// The span of `E` in a return type written `Result<T, E>`, else of the whole type.
fn result_error_span(ty: &syn::Type) -> Span {
    if let syn::Type::Path(tp) = ty {
        if let Some(last) = tp.path.segments.last() {
            if let syn::PathArguments::AngleBracketed(args) = &last.arguments {
                let types: Vec<_> = args
                    .args
                    .iter()
                    .filter_map(|a| match a {
                        syn::GenericArgument::Type(t) => Some(t),
                        _ => None,
                    })
                    .collect();
                if let [_, err] = types.as_slice() {
                    return err.span();
                }
            }
        }
    }
    ty.span()
}

/// Whether a port's type is `Arc<T>` or `EventQueue<T>`, a handle usually meant as a
/// resource (by its last path segment, as written).
/// `Db` of a port typed `Db` whose name says it is a service a node talks to (a
/// database, a client, a pool, ..), rather than data: left unconnected, it is likely a
/// resource taken by value, which the unconnected-port error then says.
fn service_type(ty: &syn::Type) -> Option<&Ident> {
    const SERVICES: &[&str] = &[
        "db",
        "database",
        "client",
        "pool",
        "conn",
        "connection",
        "cache",
        "store",
        "repo",
        "repository",
        "service",
        "api",
        "http",
        "mailer",
        "gateway",
        "sender",
    ];
    let syn::Type::Path(p) = ty else { return None };
    let [segment] = p.path.segments.iter().collect::<Vec<_>>()[..] else {
        return None;
    };
    let name = segment.ident.to_string().to_lowercase();
    (p.qself.is_none()
        && matches!(segment.arguments, syn::PathArguments::None)
        && SERVICES.iter().any(|s| name.ends_with(s)))
    .then_some(&segment.ident)
}

fn is_shared_handle(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(p) if p.qself.is_none()
        && p.path.segments.last().is_some_and(|s| (s.ident == "Arc" || s.ident == "EventQueue")
            && matches!(s.arguments, syn::PathArguments::AngleBracketed(_))))
}
