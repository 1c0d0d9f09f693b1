//! The `#[node]` model: what each parameter of the fn is (an input port, a resource, the
//! context) and what it returns. Built as written, without judging it: malformed
//! parameters are kept (as [`ParamKind::ContextMut`] and the like) for `check.rs`.

use syn::{FnArg, GenericArgument, Ident, ItemFn, Pat, PathArguments, ReturnType, Type};

/// What a parameter of a node fn is.
pub(crate) enum ParamKind {
    /// An input port.
    Port,
    /// `Res<T>`: an injected resource of type `T`.
    Resource(Box<Type>),
    /// `&Context`.
    Context,
    /// `&mut Context` (an error).
    ContextMut,
    /// `Context` by value (an error).
    ContextByValue,
    /// `&Res<T>` (an error: a `Res` is taken by value).
    ResourceByRef,
    /// `Res` without exactly one type argument (an error rustc reports).
    MalformedResource,
}

/// A typed parameter (`name: Type`) of a node fn.
pub(crate) struct Param {
    /// The parameter's name; `None` when the pattern is not a plain name (an error).
    pub(crate) ident: Option<Ident>,
    /// The pattern as written.
    pub(crate) pat: Box<Pat>,
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

/// A `#[node]` fn, as written.
pub(crate) struct NodeFn {
    /// The typed parameters in order (a `self` receiver is not one; `check.rs` reports it).
    pub(crate) params: Vec<Param>,
    pub(crate) output: OutputKind,
}

impl NodeFn {
    pub(crate) fn from_item(item: &ItemFn) -> Self {
        let params = item
            .sig
            .inputs
            .iter()
            .filter_map(|input| match input {
                FnArg::Receiver(_) => None,
                FnArg::Typed(pt) => Some(Param::new(&pt.pat, &pt.ty)),
            })
            .collect();
        let output = match &item.sig.output {
            ReturnType::Default => OutputKind::Unit,
            ReturnType::Type(_, ty) if last_segment_is(ty, "Result") => {
                OutputKind::Fallible((**ty).clone())
            }
            ReturnType::Type(_, ty) => OutputKind::Plain((**ty).clone()),
        };
        Self { params, output }
    }

    /// The input ports, in order.
    pub(crate) fn ports(&self) -> impl Iterator<Item = (&Ident, &Type)> {
        self.params
            .iter()
            .filter_map(|p| match (&p.ident, &p.kind) {
                (Some(ident), ParamKind::Port) => Some((ident, &p.ty)),
                _ => None,
            })
    }
}

impl Param {
    fn new(pat: &Pat, ty: &Type) -> Self {
        let ident = match pat {
            Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => Some(pi.ident.clone()),
            _ => None,
        };
        Self {
            ident,
            pat: Box::new(pat.clone()),
            ty: ty.clone(),
            kind: classify(ty),
        }
    }
}

/// What a parameter of type `ty` is: `&Context`, `Res<T>`, or a port.
pub(crate) fn classify(ty: &Type) -> ParamKind {
    match ty {
        Type::Reference(r) if last_segment_is(&r.elem, "Context") => {
            if r.mutability.is_some() {
                ParamKind::ContextMut
            } else {
                ParamKind::Context
            }
        }
        Type::Reference(r) if last_segment_is(&r.elem, "Res") => ParamKind::ResourceByRef,
        Type::Path(tp) if tp.qself.is_none() => {
            let Some(last) = tp.path.segments.last() else {
                return ParamKind::Port;
            };
            if last.ident == "Context" && tp.path.segments.len() <= 2 {
                return ParamKind::ContextByValue;
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
                        _ => ParamKind::MalformedResource,
                    }
                }
                _ => ParamKind::MalformedResource,
            }
        }
        _ => ParamKind::Port,
    }
}

/// Whether the last path segment of `ty` is `name` (through groups and parentheses).
pub(crate) fn last_segment_is(ty: &Type, name: &str) -> bool {
    match ty {
        Type::Path(tp) => tp.path.segments.last().is_some_and(|s| s.ident == name),
        Type::Group(g) => last_segment_is(&g.elem, name),
        Type::Paren(p) => last_segment_is(&p.elem, name),
        _ => false,
    }
}

/// `T` in a fallible return type `Result<T, E>` (or an alias like `io::Result<T>`): its
/// first type argument.
pub(crate) fn result_ok_type(ty: &Type) -> Option<&Type> {
    let Type::Path(tp) = ty else { return None };
    let PathArguments::AngleBracketed(args) = &tp.path.segments.last()?.arguments else {
        return None;
    };
    args.args.iter().find_map(|a| match a {
        GenericArgument::Type(t) => Some(t),
        _ => None,
    })
}
