//! The `#[node]` model: options and parameters, with every check on the fn's shape.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::visit::Visit;
use syn::{FnArg, GenericArgument, Ident, ItemFn, Pat, PathArguments, ReturnType, Type};

use crate::attrs::{crate_path, default_crate, path_name, skip_value, PolicyArgs};
use crate::errors::Errors;

pub(crate) const NODE_OPTIONS: &str = "`timeout`, `retry(..)`, `spawn`, `spawn_blocking`, `crate`";

/// `#[node(..)]` options.
pub(crate) struct NodeArgs {
    pub(crate) policy: PolicyArgs,
    pub(crate) krate: syn::Path,
    /// `spawn_blocking`: a plain (non-async) fn run on tokio's blocking pool.
    pub(crate) blocking: Option<proc_macro2::Span>,
}

pub(crate) fn parse_args(args: TokenStream, errors: &mut Errors) -> NodeArgs {
    let mut policy = PolicyArgs::default();
    let mut krate: Option<syn::Path> = None;
    let mut blocking: Option<proc_macro2::Span> = None;
    let parser = syn::meta::parser(|meta| {
        if policy.parse_option(&meta, errors)? {
            return Ok(());
        }
        if meta.path.is_ident("spawn_blocking") {
            if !meta.input.is_empty() && !meta.input.peek(syn::Token![,]) {
                errors.error(
                    &meta.path,
                    "`spawn_blocking` takes no value; write just `spawn_blocking`",
                );
                return skip_value(&meta);
            }
            let span = syn::spanned::Spanned::span(&meta.path);
            if blocking.replace(span).is_some() {
                errors.error(
                    &meta.path,
                    "duplicate `spawn_blocking` option; keep only one",
                );
            }
            return Ok(());
        }
        if meta.path.is_ident("crate") {
            match crate_path(&meta) {
                Ok(path) => {
                    if krate.replace(path).is_some() {
                        errors.error(&meta.path, "duplicate `crate` option; keep only one");
                    }
                }
                Err(e) => errors.push(e),
            }
            return Ok(());
        }
        errors.error(
            &meta.path,
            format!(
                "unknown `#[node]` option `{}`; expected one of {NODE_OPTIONS}",
                path_name(&meta.path)
            ),
        );
        skip_value(&meta)
    });
    if let Err(e) = syn::parse::Parser::parse2(parser, args) {
        errors.push(e);
    }
    if let (Some(spawn), Some(_)) = (policy.spawn, blocking) {
        errors.error_at(
            spawn,
            "`spawn` and `spawn_blocking` exclude each other: `spawn` is for async fns, `spawn_blocking` for plain fns that block or burn CPU",
        );
    }
    NodeArgs {
        policy,
        krate: krate.unwrap_or_else(default_crate),
        blocking,
    }
}

/// What a parameter of a node fn is.
pub(crate) enum ParamKind {
    /// An input port.
    Port,
    /// `Res<T>`: an injected resource of type `T`.
    Resource(Box<Type>),
    /// `&Context`.
    Context,
}

pub(crate) struct Param {
    pub(crate) ident: Ident,
    pub(crate) ty: Type,
    pub(crate) kind: ParamKind,
}

/// The return type of a node fn.
pub(crate) enum OutputKind {
    /// No return type: the output is `()`.
    Unit,
    /// `-> T`.
    Plain(Type),
    /// `-> Result<T, E>` (any type whose last segment is `Result`).
    Fallible(Type),
}

pub(crate) struct NodeFn {
    pub(crate) params: Vec<Param>,
    pub(crate) output: OutputKind,
}

impl NodeFn {
    pub(crate) fn from_item(item: &ItemFn, blocking: bool, errors: &mut Errors) -> Self {
        let sig = &item.sig;
        match (&sig.asyncness, blocking) {
            (None, false) => errors.error(
                sig.fn_token,
                "`#[node]` needs an `async fn`; add `async` before `fn` (or, for a plain fn that blocks or burns CPU, use `#[node(spawn_blocking)]`)",
            ),
            (Some(a), true) => errors.error(
                a,
                "`#[node(spawn_blocking)]` runs a plain fn on tokio's blocking pool; remove `async` (or drop `spawn_blocking` to await it in the run)",
            ),
            _ => {}
        }
        if let Some(c) = &sig.constness {
            errors.error(c, "a `#[node]` fn cannot be `const`");
        }
        if let syn::Safety::Unsafe(u) = &sig.safety {
            errors.error(
                u,
                "a `#[node]` fn cannot be `unsafe`; keep the unsafe code inside a safe fn",
            );
        }
        if let Some(abi) = &sig.abi {
            errors.error(abi, "a `#[node]` fn cannot have an `extern` ABI");
        }
        if let Some(v) = &sig.variadic {
            errors.error(v, "a `#[node]` fn cannot be variadic");
        }
        let mut lifetimes = Vec::new();
        let mut borrows = false;
        for param in &sig.generics.params {
            match param {
                syn::GenericParam::Type(_) | syn::GenericParam::Const(_) => errors.error(
                    param,
                    "a `#[node]` fn cannot be generic: a graph needs concrete port types; write a non-generic `#[node]` wrapper that calls the generic fn",
                ),
                // Reported below, unless a borrowed port or output already explains it.
                syn::GenericParam::Lifetime(l) => lifetimes.push(l),
            }
        }
        if let Some(w) = &sig.generics.where_clause {
            errors.error(w, "a `#[node]` fn cannot have a `where` clause");
        }

        let mut params = Vec::new();
        for input in &sig.inputs {
            match input {
                FnArg::Receiver(r) => errors.error(
                    r,
                    "a `#[node]` fn cannot take `self`; make it a free fn, and pass shared state as a `Res<T>` parameter",
                ),
                FnArg::Typed(pt) => {
                    let ident = match &*pt.pat {
                        Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => {
                            pi.ident.clone()
                        }
                        other => {
                            errors.error(
                                other,
                                "a `#[node]` parameter must be a plain name, like `items: Vec<u32>`, because the name is the input port's name; destructure inside the body",
                            );
                            continue;
                        }
                    };
                    let ty = (*pt.ty).clone();
                    let kind = classify(&ty, errors);
                    if matches!(kind, ParamKind::Port) {
                        borrows |= check_port_type(&ident, &ty, errors);
                    }
                    params.push(Param { ident, ty, kind });
                }
            }
        }
        let contexts = params
            .iter()
            .filter(|p| matches!(p.kind, ParamKind::Context))
            .count();
        if contexts > 1 {
            errors.error(&sig.inputs, "a `#[node]` fn takes at most one `&Context`");
        }

        let output = match &sig.output {
            ReturnType::Default => OutputKind::Unit,
            ReturnType::Type(_, ty) => {
                let mut finder = Finder::default();
                finder.visit_type(ty);
                if let Some(tokens) = finder.impl_trait {
                    errors.error(tokens, "a `#[node]` fn cannot return `impl Trait`; name the output type so the graph can carry it");
                }
                if let Some(tokens) = finder.borrowed {
                    borrows = true;
                    errors.error(tokens, "a `#[node]` output must own its data (no borrowed types other than `&'static`), because it outlives the call");
                }
                if last_segment_is(ty, "Result") {
                    OutputKind::Fallible((**ty).clone())
                } else {
                    OutputKind::Plain((**ty).clone())
                }
            }
        };
        if !borrows {
            for l in lifetimes {
                errors.error(
                    l,
                    "a `#[node]` fn cannot have lifetime parameters: its inputs and output outlive the call, so they must own their data",
                );
            }
        }
        Self { params, output }
    }

    pub(crate) fn ports(&self) -> impl Iterator<Item = &Param> {
        self.params
            .iter()
            .filter(|p| matches!(p.kind, ParamKind::Port))
    }
}

fn classify(ty: &Type, errors: &mut Errors) -> ParamKind {
    match ty {
        Type::Reference(r) => {
            if last_segment_is(&r.elem, "Context") {
                if r.mutability.is_some() {
                    errors.error(r, "take the context as `&Context`, not `&mut Context`");
                }
                ParamKind::Context
            } else {
                ParamKind::Port
            }
        }
        Type::Path(tp) if tp.qself.is_none() => {
            let Some(last) = tp.path.segments.last() else {
                return ParamKind::Port;
            };
            if last.ident == "Context" && tp.path.segments.len() <= 2 {
                errors.error(ty, "take the context by reference: `ctx: &Context`");
                return ParamKind::Context;
            }
            if last.ident != "Res" {
                return ParamKind::Port;
            }
            match &last.arguments {
                PathArguments::AngleBracketed(args) if args.args.len() == 1 => {
                    match args.args.first() {
                        Some(GenericArgument::Type(inner)) => {
                            ParamKind::Resource(Box::new(inner.clone()))
                        }
                        _ => {
                            errors.error(args, "`Res` takes one type: `Res<HttpClient>`");
                            ParamKind::Port
                        }
                    }
                }
                _ => {
                    errors.error(ty, "`Res` takes one type: `Res<HttpClient>`");
                    ParamKind::Port
                }
            }
        }
        _ => ParamKind::Port,
    }
}

/// Checks a port's type; returns whether it borrows.
fn check_port_type(ident: &Ident, ty: &Type, errors: &mut Errors) -> bool {
    let mut finder = Finder::default();
    finder.visit_type(ty);
    if let Some(tokens) = finder.impl_trait {
        errors.error(
            tokens,
            format!("input port `{ident}` cannot have an `impl Trait` type; name a concrete type (or use `Box<dyn Trait + Send>`)"),
        );
    }
    let borrows = finder.borrowed.is_some();
    if let Some(tokens) = finder.borrowed {
        errors.error(
            tokens,
            format!("input port `{ident}` must own its data: take `String`/`Vec<T>`/`Arc<T>` instead of a borrowed type (only `&'static` is allowed)"),
        );
    }
    borrows
}

/// Finds `impl Trait` and non-`'static` borrows inside a type, keeping their tokens so
/// that errors span the whole construct.
#[derive(Default)]
struct Finder {
    impl_trait: Option<TokenStream>,
    borrowed: Option<TokenStream>,
}

impl<'ast> Visit<'ast> for Finder {
    fn visit_type_impl_trait(&mut self, i: &'ast syn::TypeImplTrait) {
        self.impl_trait.get_or_insert_with(|| i.to_token_stream());
    }

    fn visit_type_reference(&mut self, i: &'ast syn::TypeReference) {
        let is_static = i.lifetime.as_ref().is_some_and(|l| l.ident == "static");
        if !is_static {
            self.borrowed.get_or_insert_with(|| i.to_token_stream());
        }
        syn::visit::visit_type_reference(self, i);
    }

    fn visit_lifetime(&mut self, l: &'ast syn::Lifetime) {
        if l.ident != "static" {
            self.borrowed.get_or_insert_with(|| l.to_token_stream());
        }
    }
}

fn last_segment_is(ty: &Type, name: &str) -> bool {
    match ty {
        Type::Path(tp) => tp.path.segments.last().is_some_and(|s| s.ident == name),
        Type::Group(g) => last_segment_is(&g.elem, name),
        Type::Paren(p) => last_segment_is(&p.elem, name),
        _ => false,
    }
}
