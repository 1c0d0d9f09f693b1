//! The stand-in of a `#[node]` fn whose shape is an error (not `async`, a borrowed port,
//! `&mut Context`, ..): the signature the user is told to write, so that `#[node]` can
//! still declare the node's ports for `workflow!`. Without it, a workflow calling the fn
//! adds rustc's "cannot find macro `fetch`" (the ports callback is missing) to the one
//! error that matters. The stand-in's `Node::call` never runs (see `expand::stand_in`).
//!
//! Repairs, each the fix the fn's error names:
//! - `fn`, `const fn`, `unsafe fn`, `extern fn` → `async fn` (a plain `fn` with
//!   `spawn_blocking`); `-> impl Future<Output = T>` → `-> T`;
//! - a borrowed port or output owns its data: `&str` → `String`, `&[T]` → `Vec<T>`,
//!   `&T`/`&mut T` → `T`, other lifetimes → `'static`; lifetime parameters and a `where`
//!   clause go;
//! - `&mut Context` and `Context` → `&Context`; a second context and a port whose type
//!   holds a `Context` (`Option<&Context>`) or a `Res` (`Option<Res<T>>`) go;
//!   `&Res<T>` → `Res<T>`; `Res` without exactly one type → `Res<unknown>` (below);
//! - a destructured parameter goes (its port has no name).
//!
//! - a type that cannot be guessed (an `impl Trait` port or output, one naming a type or
//!   const parameter, whose parameters go) becomes `unknown`: an error type made of the
//!   fn's errors (see `expand::stand_in`), about which rustc says nothing more. (The
//!   error of an `impl IntoIterator<Item = T>` port suggests `Vec<T>`, but the user may
//!   pick another type: the stand-in assumes none, so a workflow feeding it a `HashSet`
//!   adds no error that the user's own choice would not have.)
//!
//! No stand-in for a `self` receiver (the fn sits in an `impl`, where the ports struct
//! would be an error of its own).

use syn::{
    FnArg, GenericArgument, GenericParam, ItemFn, PathArguments, ReturnType, Token, Type,
    TypeParamBound,
};

use super::ast::{classify, last_segment_is, NodeFn, ParamKind};
use super::attr::NodeArgs;
use crate::internals::Ctxt;

/// The fn as its errors say to write it, with `unknown` for a type that cannot be
/// guessed; `None` for a method (or if the repaired fn still fails `check_fn`).
pub(crate) fn repair(item: &ItemFn, args: &NodeArgs, unknown: &Type) -> Option<ItemFn> {
    let mut fixed = item.clone();
    let sig = &mut fixed.sig;
    // Type and const parameters go; a type naming one is unknown.
    let generic: Vec<syn::Ident> = sig
        .generics
        .params
        .iter()
        .filter_map(|p| match p {
            GenericParam::Type(t) => Some(t.ident.clone()),
            GenericParam::Const(c) => Some(c.ident.clone()),
            GenericParam::Lifetime(_) => None,
        })
        .collect();
    let fix = |ty: &Type| {
        if names_any(ty, &generic) {
            unknown.clone()
        } else {
            owned(ty, unknown)
        }
    };
    sig.generics.params.clear();
    sig.generics.lt_token = None;
    sig.generics.gt_token = None;
    sig.generics.where_clause = None;
    sig.constness = None;
    sig.safety = syn::Safety::Default;
    sig.abi = None;
    sig.variadic = None;
    if args.blocking.is_some() {
        sig.asyncness = None;
    } else if sig.asyncness.is_none() {
        sig.asyncness = Some(<Token![async]>::default());
        if let ReturnType::Type(_, ty) = &mut sig.output {
            if let Some(output) = impl_future_output(ty) {
                **ty = output;
            }
        }
    }
    let mut has_context = false;
    let mut inputs = syn::punctuated::Punctuated::<FnArg, Token![,]>::new();
    for input in std::mem::take(&mut sig.inputs) {
        let FnArg::Typed(mut pt) = input else {
            return None;
        };
        if !matches!(&*pt.pat, syn::Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none()) {
            continue;
        }
        let param = classify(&pt.ty);
        match param {
            ParamKind::Context | ParamKind::ContextMut | ParamKind::ContextByValue => {
                if std::mem::replace(&mut has_context, true) {
                    continue;
                }
                *pt.ty = context_ref(&pt.ty);
            }
            ParamKind::ResourceByRef => {
                if let Type::Reference(r) = &*pt.ty {
                    *pt.ty = (*r.elem).clone();
                }
            }
            // `Res` (or `Res<A, B>`): rustc's E0107 says to name one type; the node keeps
            // the resource, of the unknown type, so a workflow calling it adds nothing.
            ParamKind::MalformedResource => *pt.ty = resource_of(&pt.ty, unknown),
            ParamKind::Port if holds_context(&pt.ty) || holds_resource(&pt.ty) => continue,
            _ => *pt.ty = fix(&pt.ty),
        }
        inputs.push(FnArg::Typed(pt));
    }
    sig.inputs = inputs;
    if let ReturnType::Type(_, ty) = &mut sig.output {
        **ty = fix(ty);
    }
    let node = NodeFn::from_item(&fixed);
    let scratch = Ctxt::new();
    super::check::check_fn(&scratch, &fixed, &node, args);
    (!scratch.has_errors()).then_some(fixed)
}

/// `ty`, a `Res` path without exactly one type argument, as `Res<unknown>` (its path as
/// written: `Res`, `workflow_core::Res`).
fn resource_of(ty: &Type, unknown: &Type) -> Type {
    let mut ty = ty.clone();
    if let Type::Path(tp) = &mut ty {
        if let Some(last) = tp.path.segments.last_mut() {
            last.arguments = PathArguments::AngleBracketed(syn::parse_quote!(<#unknown>));
        }
    }
    ty
}

/// `T` of `impl Future<Output = T>`.
fn impl_future_output(ty: &Type) -> Option<Type> {
    let Type::ImplTrait(it) = ty else { return None };
    it.bounds.iter().find_map(|b| {
        let TypeParamBound::Trait(t) = b else {
            return None;
        };
        let last = t.path.segments.last()?;
        if last.ident != "Future" {
            return None;
        }
        let PathArguments::AngleBracketed(args) = &last.arguments else {
            return None;
        };
        args.args.iter().find_map(|a| match a {
            GenericArgument::AssocType(at) if at.ident == "Output" => Some(at.ty.clone()),
            _ => None,
        })
    })
}

/// `&Context` with the path the user wrote (`Context`, `&mut wf::Context`, ..), without
/// a lifetime; std's poll context (`&std::task::Context<'_>`) becomes this crate's.
fn context_ref(ty: &Type) -> Type {
    let path = match ty {
        Type::Reference(r) => (*r.elem).clone(),
        other => other.clone(),
    };
    if super::check::is_foreign_context(&path) {
        return syn::parse_quote!(&::workflow_core::Context);
    }
    syn::parse_quote!(&#path)
}

/// Whether `ty` holds a `&Context` inside (`Option<&Context>`, `Arc<&mut Context>`), or
/// a `Context` as a type argument (`Arc<Context>`, `Box<Context>`).
pub(crate) fn holds_context(ty: &Type) -> bool {
    struct Finder(bool);
    impl<'ast> syn::visit::Visit<'ast> for Finder {
        fn visit_type_reference(&mut self, r: &'ast syn::TypeReference) {
            self.0 |= last_segment_is(&r.elem, "Context");
            syn::visit::visit_type_reference(self, r);
        }
        fn visit_generic_argument(&mut self, a: &'ast GenericArgument) {
            self.0 |= matches!(a, GenericArgument::Type(t) if is_context_by_value(t));
            syn::visit::visit_generic_argument(self, a);
        }
    }
    let mut finder = Finder(false);
    syn::visit::Visit::visit_type(&mut finder, ty);
    finder.0
}

/// Whether `ty` is `Context` by value, as `classify` reads it (`Context`,
/// `workflow_core::Context`).
pub(crate) fn is_context_by_value(ty: &Type) -> bool {
    matches!(classify(ty), ParamKind::ContextByValue)
}

/// Whether `ty` holds a `Res<..>` inside (`Option<Res<Cache>>`, `Vec<Res<Db>>`).
pub(crate) fn holds_resource(ty: &Type) -> bool {
    struct Finder(bool);
    impl<'ast> syn::visit::Visit<'ast> for Finder {
        fn visit_path_segment(&mut self, s: &'ast syn::PathSegment) {
            self.0 |= s.ident == "Res" && !s.arguments.is_empty();
            syn::visit::visit_path_segment(self, s);
        }
    }
    let mut finder = Finder(false);
    syn::visit::Visit::visit_type(&mut finder, ty);
    finder.0
}

/// Whether `ty` names one of `params` (a fn's type or const parameters).
fn names_any(ty: &Type, params: &[syn::Ident]) -> bool {
    struct Finder<'a>(&'a [syn::Ident], bool);
    impl<'ast> syn::visit::Visit<'ast> for Finder<'_> {
        fn visit_ident(&mut self, i: &'ast syn::Ident) {
            self.1 |= self.0.contains(i);
        }
    }
    if params.is_empty() {
        return false;
    }
    let mut finder = Finder(params, false);
    syn::visit::Visit::visit_type(&mut finder, ty);
    finder.1
}

/// `ty` owning its data, with `unknown` for what cannot be guessed (an `impl Trait`, a
/// type macro, `_`).
fn owned(ty: &Type, unknown: &Type) -> Type {
    let owned = |ty: &Type| owned(ty, unknown);
    match ty {
        Type::Reference(r) if r.lifetime.as_ref().is_some_and(|l| l.ident == "static") => {
            ty.clone()
        }
        Type::Reference(r) => match &*r.elem {
            Type::Path(p) if p.qself.is_none() && p.path.is_ident("str") => {
                syn::parse_quote!(::std::string::String)
            }
            Type::Slice(s) => {
                let elem = owned(&s.elem);
                syn::parse_quote!(::std::vec::Vec<#elem>)
            }
            elem => owned(elem),
        },
        Type::Path(p) => {
            let mut p = p.clone();
            if let Some(q) = &mut p.qself {
                *q.ty = owned(&q.ty);
            }
            for segment in &mut p.path.segments {
                if let PathArguments::AngleBracketed(args) = &mut segment.arguments {
                    for arg in &mut args.args {
                        match arg {
                            GenericArgument::Type(t) => *t = owned(t),
                            GenericArgument::Lifetime(l) if l.ident != "static" => {
                                *l = syn::Lifetime::new("'static", l.span());
                            }
                            _ => {}
                        }
                    }
                }
            }
            Type::Path(p)
        }
        Type::Slice(s) => {
            let mut s = s.clone();
            *s.elem = owned(&s.elem);
            Type::Slice(s)
        }
        Type::Array(a) => {
            let mut a = a.clone();
            *a.elem = owned(&a.elem);
            Type::Array(a)
        }
        Type::Tuple(t) => {
            let mut t = t.clone();
            for elem in &mut t.elems {
                *elem = owned(elem);
            }
            Type::Tuple(t)
        }
        Type::Paren(p) => owned(&p.elem),
        Type::Group(g) => owned(&g.elem),
        Type::ImplTrait(_)
        | Type::Infer(_)
        | Type::Macro(_)
        | Type::Verbatim(_)
        | Type::Never(_) => unknown.clone(),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use proc_macro2::TokenStream;
    use quote::{quote, ToTokens};

    use super::*;

    fn repaired(args: TokenStream, item: TokenStream) -> Option<String> {
        let cx = Ctxt::new();
        let args = crate::node::attr::parse_args(&cx, args);
        let item: ItemFn = syn::parse2(item).expect("parses");
        repair(&item, &args, &syn::parse_quote!(Unknown))
            .map(|f| f.sig.to_token_stream().to_string())
    }

    #[test]
    fn each_fix_is_the_one_the_error_names() {
        for (item, sig) in [
            (
                quote!(
                    fn f(a: u8) -> u8 {}
                ),
                quote!(async fn f(a: u8) -> u8),
            ),
            (
                quote!(
                    fn f(a: u8) -> impl Future<Output = u8> {}
                ),
                quote!(async fn f(a: u8) -> u8),
            ),
            (
                quote!(
                    const unsafe fn f() {}
                ),
                quote!(async fn f()),
            ),
            (
                quote!(
                    async fn f<'a>(
                        s: &'a str,
                        xs: &[u8],
                        o: Option<&str>,
                        m: &mut Vec<u8>,
                    ) -> &'a str {
                    }
                ),
                quote!(async fn f(s: ::std::string::String, xs: ::std::vec::Vec<u8>, o: Option<::std::string::String>, m: Vec<u8>) -> ::std::string::String),
            ),
            (
                quote!(
                    async fn f(s: &'static str, c: Cow<'a, str>) {}
                ),
                quote!(async fn f(s: &'static str, c: Cow<'static, str>)),
            ),
            (
                quote!(
                    async fn f(
                        a: u8,
                        ctx: &mut Context,
                        b: Context,
                        c: Option<&Context>,
                        d: &Res<Db>,
                        e: Option<Res<Db>>,
                    ) {
                    }
                ),
                quote!(async fn f(a: u8, ctx: &Context, d: Res<Db>)),
            ),
            (
                quote!(
                    async fn f((a, b): (u8, u8), c: u8) {}
                ),
                quote!(async fn f(c: u8)),
            ),
        ] {
            assert_eq!(repaired(quote!(), item), Some(sig.to_string()));
        }
    }

    #[test]
    fn a_blocking_fn_is_a_plain_fn() {
        for item in [
            quote!(
                fn f(s: &str) -> u8 {}
            ),
            quote!(
                async fn f(s: &str) -> u8 {}
            ),
        ] {
            assert_eq!(
                repaired(quote!(spawn_blocking), item),
                Some(quote!(fn f(s: ::std::string::String) -> u8).to_string())
            );
        }
    }

    #[test]
    fn a_type_that_cannot_be_guessed_is_unknown() {
        for (item, sig) in [
            (
                quote!(
                    async fn f<T: Display, const N: usize>(x: T, a: [u8; N], n: u8) -> Vec<T> {}
                ),
                quote!(async fn f(x: Unknown, a: Unknown, n: u8) -> Unknown),
            ),
            (
                quote!(
                    async fn f(x: impl Display, v: Vec<impl Display>) -> impl Display {}
                ),
                quote!(async fn f(x: Unknown, v: Vec<Unknown>) -> Unknown),
            ),
            (
                quote!(
                    async fn f() -> Result<impl Display, E> {}
                ),
                quote!(async fn f() -> Result<Unknown, E>),
            ),
        ] {
            assert_eq!(repaired(quote!(), item), Some(sig.to_string()));
        }
    }

    #[test]
    fn no_stand_in_for_a_method() {
        let item = quote!(
            async fn f(&self, x: u8) {}
        );
        assert_eq!(repaired(quote!(), item), None);
    }
}
