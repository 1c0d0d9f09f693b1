//! Checks of a `#[node]` fn's shape and options. Each rule is one small function; all of
//! them report into the same [`Ctxt`], in the order the fn is written.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::visit::Visit;
use syn::{FnArg, Ident, ItemFn, ReturnType, Signature, Type};

use super::ast::{NodeFn, OutputKind, Param, ParamKind};
use super::attr::NodeArgs;
use crate::internals::types;
use crate::internals::unbound::unbound_receiver;
use crate::internals::Ctxt;

/// Checks that the options fit together and fit the fn. A node with bad options is
/// still emitted (with the valid ones), so these errors are kept apart from
/// [`check_fn`]'s.
///
/// A `retry_if` on a fn that cannot return an error is reported (here or as part of a
/// dead `retry(..)`) and then dropped, so that its predicate, which can only take the
/// node's error type, is not also rustc's "mismatched types" against `Infallible`.
pub(crate) fn check_options(cx: &Ctxt, item: &ItemFn, node: &NodeFn, args: &mut NodeArgs) {
    // `#[node(blocking)] fn hash(..)`: the other name is the one error; the plain fn is
    // then a `spawn_blocking` node, not also "needs an `async fn`".
    if item.sig.asyncness.is_none() && args.blocking.is_none() {
        args.blocking = args.blocking_other_name;
    }
    check_spawn_modes(cx, args);
    check_retry_can_run(cx, item, node, args);
    if !matches!(node.output, OutputKind::Fallible(_)) {
        if let Some(retry) = args.policy.retry.as_mut() {
            retry.retry_if = None;
        }
    }
}

/// Whether a node's `retry(..)` can never run: the fn cannot fail and no timed-out
/// attempt is retried. (Then its inputs need not be `Clone` either: `node::expand`
/// skips that check, so the dead retry is the one error.)
pub(crate) fn retry_is_dead(node: &NodeFn, args: &NodeArgs) -> bool {
    let Some(retry) = &args.policy.retry else {
        return false;
    };
    !matches!(node.output, OutputKind::Fallible(_))
        && (args.policy.timeout.is_none() || retry.retry_timeouts == Some(false))
}

/// A retry needs a failure to retry: an error (a `Result` output) or a timed-out
/// attempt. Panics are never retried. Dead configuration is an error rather than a
/// warning because stable proc macros cannot emit warnings, and a retry that never runs
/// usually means the fn's `Result` was hidden behind an alias the macro cannot see.
fn check_retry_can_run(cx: &Ctxt, item: &ItemFn, node: &NodeFn, args: &NodeArgs) {
    // After a bad option, the retry's settings may be half read: say nothing more.
    let Some(retry) = args.policy.retry.as_ref().filter(|_| !cx.has_errors()) else {
        return;
    };
    if matches!(node.output, OutputKind::Fallible(_)) {
        return;
    }
    let name = &item.sig.ident;
    let returns = match &item.sig.output {
        ReturnType::Default => "nothing".to_string(),
        ReturnType::Type(_, ty) => format!("`{}`", crate::internals::types::type_text(ty)),
    };
    // A generic type named `..Result` (`PayResult<String>`) is likely a service's alias of
    // `Result`, which the macro reads as written: the fn does fail, unseen.
    let alias = match &item.sig.output {
        ReturnType::Type(_, ty) if looks_like_result_alias(ty) => format!(
            "; if {returns} is an alias of `Result`, write the `Result<_, _>` itself: `#[node]` sees the error only in a return type written `Result<..>` (an alias named `Result`, like `io::Result<T>`, works too), and otherwise takes the `Result` as the node's value"
        ),
        _ => String::new(),
    };
    if !retry_is_dead(node, args) {
        // Only timed-out attempts are retried, and those have no error to test.
        if let Some(pred) = &retry.retry_if {
            cx.error_spanned_by(
                pred,
                format!("`retry_if` never applies: `{name}` cannot return an error (it returns {returns}, not a `Result`), so only its timed-out attempts are retried, and those always are; remove `retry_if`, or return `Result<_, YourError>` (written as `Result<..>`, not an alias){alias}"),
            );
        }
        return;
    }
    let why = match args.policy.timeout {
        Some(_) => "its timed-out attempts are not retried (`retry_timeouts = false`)",
        None => "it has no `timeout`",
    };
    cx.error_at(
        retry.span,
        format!("`retry(..)` never runs: `{name}` cannot fail (it returns {returns}, not a `Result`) and {why}; remove `retry(..)`, or add a `timeout`{alias}"),
    );
}

/// Checks the fn's shape: a node is emitted only if none of these fail.
pub(crate) fn check_fn(cx: &Ctxt, item: &ItemFn, node: &NodeFn, args: &NodeArgs) {
    let sig = &item.sig;
    check_asyncness(cx, sig, args);
    check_qualifiers(cx, sig);
    check_generics(cx, sig);
    check_receiver(cx, sig);
    // A fn that borrows in and out (`fn f<'a>(x: &'a [T]) -> &'a T`) is one mistake: the
    // first borrowed port's error also says to return an owned output.
    let output_borrows = match &sig.output {
        ReturnType::Type(_, ty) => TypeFinder::find(ty).borrowed.is_some(),
        ReturnType::Default => false,
    };
    let mut borrows = false;
    for param in &node.params {
        borrows |= check_param(cx, param, output_borrows && !borrows);
    }
    check_one_context(cx, node);
    borrows |= check_output(cx, sig, borrows, args.blocking.is_some());
    // A borrowed port or output already explains a lifetime parameter.
    if !borrows {
        check_no_lifetimes(cx, sig);
    }
}

/// Whether two parameters have one name (`fn f(x: u32, x: u32)`): rustc's E0415 at the
/// second is the one error, so the fn is emitted alone (a node would repeat it in five
/// errors of its own: two fields, two ports, a pattern).
pub(crate) fn has_duplicate_params(item: &ItemFn) -> bool {
    let mut seen = std::collections::HashSet::new();
    item.sig.inputs.iter().any(|input| match input {
        FnArg::Typed(pt) => match &*pt.pat {
            syn::Pat::Ident(pi) => !seen.insert(syn::ext::IdentExt::unraw(&pi.ident)),
            _ => false,
        },
        FnArg::Receiver(_) => false,
    })
}

/// A port of a type without a size (`x: dyn Display`, `s: str`, `xs: [u8]`), which no fn
/// takes by value: one error at the type, replaced in `item` by the sized type it names
/// (`Box<dyn Display + Send>`, `String`, `Vec<u8>`), so the fn emitted beside the
/// stand-in node adds none of rustc's (unsized parameter, not `Send`, per use in the
/// generated code).
/// `ctx: &Ctx` (or `&TaskContext`, `&ActivityContext`, ..): the node's context under
/// another SDK's name, which was our "input port `ctx` must own its data" plus rustc's
/// "cannot find type `Ctx`". One error at the type, which becomes `Context`, so nothing
/// else is reported (a type of that name of the user's own is said too).
pub(crate) fn context_other_names(cx: &Ctxt, item: &mut ItemFn) {
    for input in &mut item.sig.inputs {
        let syn::FnArg::Typed(pt) = input else {
            continue;
        };
        let syn::Type::Reference(r) = &mut *pt.ty else {
            continue;
        };
        // `ctx: &Context<'_>`: the prelude's `Context` given a lifetime, as a borrowed
        // context often has one (std's poll context, which a fn takes `&mut`). The
        // lifetime is removed, so that this is one error (it was ours about std's poll
        // context, then rustc's "struct takes 0 lifetime arguments" and "return type
        // references an anonymous lifetime").
        if r.mutability.is_none() {
            if let syn::Type::Path(tp) = &mut *r.elem {
                let lifetimes_only = |args: &syn::PathArguments| match args {
                    syn::PathArguments::AngleBracketed(a) => a
                        .args
                        .iter()
                        .all(|g| matches!(g, syn::GenericArgument::Lifetime(_))),
                    _ => false,
                };
                if tp.qself.is_none()
                    && tp.path.segments.len() == 1
                    && tp.path.segments[0].ident == "Context"
                    && lifetimes_only(&tp.path.segments[0].arguments)
                {
                    let args = tp.path.segments[0].arguments.to_token_stream();
                    cx.error_spanned_by(
                        &args,
                        format!("remove `{}`: a node's `Context` (this crate's, in the prelude) has no lifetime; write `{}: &Context`", types::type_text(&args), pt.pat.to_token_stream()),
                    );
                    tp.path.segments[0].arguments = syn::PathArguments::None;
                    continue;
                }
            }
        }
        let written = match &*r.elem {
            syn::Type::Path(tp)
                if tp.qself.is_none()
                    && tp.path.segments.len() == 1
                    && tp.path.segments[0].arguments.is_none() =>
            {
                tp.path.segments[0].ident.clone()
            }
            _ => continue,
        };
        if !is_context_other_name(&written.to_string()) {
            continue;
        }
        cx.error_spanned_by(
            &pt.ty,
            format!("a node's context is `&Context`: write `{}: &Context` (`ctx.attempt()`, `ctx.emit(..)`, `ctx.resource::<T>()`); if `{written}` is a type of your own, take it as a resource, `Res<{written}>`, or by value as a port", pt.pat.to_token_stream()),
        );
        if let syn::Type::Reference(r) = &mut *pt.ty {
            if let syn::Type::Path(tp) = &mut *r.elem {
                tp.path.segments[0].ident = Ident::new("Context", written.span());
            }
        }
    }
}

/// `ctx.emit("n = {}", n)` (`println!`'s arguments) in the body, where `ctx` is the
/// node's `&Context`: one error at the arguments saying to write
/// `ctx.emit(format!("n = {}", n))`, which the call then becomes, so that rustc adds
/// nothing (it said "this method takes 1 argument but 2 arguments were supplied" and
/// offered to remove the value). A literal without a placeholder (`ctx.emit("items",
/// x)`, a label and a value) is the same error, suggesting a message with the values in
/// it; the call keeps the label. Calls with one argument, or whose first is not a
/// string literal, are left as written.
pub(crate) fn emit_with_format_args(cx: &Ctxt, item: &mut ItemFn) {
    use syn::visit_mut::VisitMut;
    struct Emits<'a> {
        cx: &'a Ctxt,
        contexts: Vec<Ident>,
    }
    impl VisitMut for Emits<'_> {
        fn visit_expr_method_call_mut(&mut self, call: &mut syn::ExprMethodCall) {
            syn::visit_mut::visit_expr_method_call_mut(self, call);
            let on_context = matches!(&*call.receiver, syn::Expr::Path(p)
                if p.qself.is_none() && p.path.get_ident().is_some_and(|i| self.contexts.contains(i)));
            let first = match call.args.first() {
                Some(syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                })) => s.value(),
                _ => return,
            };
            if call.method != "emit" || !on_context || call.args.len() < 2 {
                return;
            }
            // `ctx.emit("items", x)`, a label and a value (a structured logger's habit):
            // no placeholder for `format!` to fill, so the values are put into the
            // message in the fix, and the call keeps only the label.
            if !first.replace("{{", "").contains('{') {
                let label = call.args[0].to_token_stream().to_string();
                let values: Vec<String> = call.args.iter().skip(1).map(types::type_text).collect();
                let receiver = types::type_text(&call.receiver);
                let fix_text = format!(
                    "{}: {}\"",
                    label.trim_end_matches('"'),
                    vec!["{:?}"; values.len()].join(", ")
                );
                self.cx.error_spanned_by(
                    &call.args,
                    format!(
                        "`{receiver}.emit` takes one message: put the values into it, like `{receiver}.emit(format!({fix_text}, {}))`",
                        values.join(", ")
                    ),
                );
                let label = call.args[0].clone();
                call.args = std::iter::once(label).collect();
                return;
            }
            let args = call.args.iter();
            let receiver = call.receiver.to_token_stream();
            let written = quote::quote!(#(#args),*);
            // Each argument as written: a literal keeps its spaces.
            let shown: Vec<String> = call
                .args
                .iter()
                .map(|a| match a {
                    syn::Expr::Lit(l) => l.to_token_stream().to_string(),
                    a => types::type_text(a),
                })
                .collect();
            self.cx.error_spanned_by(
                &call.args,
                format!(
                    "`{}.emit` takes one message: write `{}.emit(format!({}))`",
                    types::type_text(&receiver),
                    types::type_text(&receiver),
                    shown.join(", ")
                ),
            );
            let span = syn::spanned::Spanned::span(&call.args);
            let formatted: syn::Expr = syn::parse_quote_spanned!(span=> ::std::format!(#written));
            call.args = std::iter::once(formatted).collect();
        }
    }
    let contexts: Vec<Ident> = item
        .sig
        .inputs
        .iter()
        .filter_map(|input| match input {
            FnArg::Typed(pt) => match (&*pt.pat, &*pt.ty) {
                (syn::Pat::Ident(pi), Type::Reference(r))
                    if matches!(&*r.elem, Type::Path(tp)
                        if tp.path.segments.last().is_some_and(|s| s.ident == "Context")) =>
                {
                    Some(pi.ident.clone())
                }
                _ => None,
            },
            FnArg::Receiver(_) => None,
        })
        .collect();
    if contexts.is_empty() {
        return;
    }
    Emits { cx, contexts }.visit_block_mut(&mut item.block);
}

/// `n: int -> int` (Python's, C's, Java's or TypeScript's names for Rust's numbers,
/// `bool` and `String`) in the signature: one error per name, at its first use, naming
/// the Rust type, which then replaces every use. Was rustc's "cannot find type `int`"
/// at each use plus one more for the return type, named again by the expansion.
pub(crate) fn foreign_type_names(cx: &Ctxt, item: &mut ItemFn) {
    let mut said = Vec::new();
    for input in &mut item.sig.inputs {
        if let syn::FnArg::Typed(pt) = input {
            replace_foreign_names(cx, &mut pt.ty, &mut said);
        }
    }
    if let ReturnType::Type(arrow, ty) = &mut item.sig.output {
        if matches!(&**ty, Type::Path(tp) if tp.qself.is_none() && tp.path.is_ident("None")) {
            // `-> None` (Python's annotation of a fn returning nothing): rustc said
            // "expected type, found variant `None`" and offered `-> Option`.
            cx.error_spanned_by(
                quote::quote!(#arrow #ty),
                "remove `-> None`: a fn that returns nothing has no return type (its output is `()`)",
            );
            item.sig.output = ReturnType::Default;
            return;
        }
        replace_foreign_names(cx, ty, &mut said);
    }
}

fn replace_foreign_names(cx: &Ctxt, ty: &mut Type, said: &mut Vec<String>) {
    match ty {
        Type::Path(tp) if tp.qself.is_none() => {
            if tp.path.leading_colon.is_none()
                && tp.path.segments.len() == 1
                && tp.path.segments[0].arguments.is_none()
            {
                let ident = &mut tp.path.segments[0].ident;
                let name = ident.to_string();
                if let Some((rust, more)) = types::rust_type_for(&name) {
                    if !said.contains(&name) {
                        cx.error_at(
                            ident.span(),
                            format!("`{name}` is not a Rust type: write `{rust}`{more}"),
                        );
                        said.push(name);
                    }
                    *ident = Ident::new(rust, ident.span());
                    return;
                }
            }
            for segment in &mut tp.path.segments {
                if let syn::PathArguments::AngleBracketed(args) = &mut segment.arguments {
                    for arg in &mut args.args {
                        if let syn::GenericArgument::Type(t) = arg {
                            replace_foreign_names(cx, t, said);
                        }
                    }
                }
            }
        }
        Type::Reference(r) => replace_foreign_names(cx, &mut r.elem, said),
        Type::Slice(s) => replace_foreign_names(cx, &mut s.elem, said),
        Type::Array(a) => replace_foreign_names(cx, &mut a.elem, said),
        Type::Paren(p) => replace_foreign_names(cx, &mut p.elem, said),
        Type::Tuple(t) => {
            for elem in &mut t.elems {
                replace_foreign_names(cx, elem, said);
            }
        }
        _ => {}
    }
}

/// Names other SDKs and frameworks give a task's context.
fn is_context_other_name(name: &str) -> bool {
    matches!(
        name,
        "Ctx"
            | "NodeContext"
            | "NodeCtx"
            | "TaskContext"
            | "ActivityContext"
            | "WorkflowContext"
            | "ExecutionContext"
            | "RunContext"
            | "JobContext"
            | "StepContext"
    )
}

pub(crate) fn unsized_ports(cx: &Ctxt, item: &mut ItemFn) {
    for input in &mut item.sig.inputs {
        let syn::FnArg::Typed(pt) = input else {
            continue;
        };
        let Some((sized, text)) = types::sized_for(&pt.ty) else {
            continue;
        };
        let name = match &*pt.pat {
            syn::Pat::Ident(pi) => pi.ident.to_string(),
            _ => "_".to_owned(),
        };
        cx.error_spanned_by(
            &pt.ty,
            format!(
                "input port `{name}` cannot be of type `{}`, which has no size known at compile time: a port holds a value, so take `{name}: {text}`",
                types::type_text(&pt.ty)
            ),
        );
        *pt.ty = sized;
    }
}

/// An output of a type without a size (`-> dyn Display`, `-> str`): one error at the type
/// naming the sized one to return. Returns whether there was one: the fn's output is then
/// the stand-in's error type (see `node::expand`), which its body's value is not checked
/// against, so rustc adds nothing (a sized type would mismatch the body's value).
pub(crate) fn unsized_output(cx: &Ctxt, item: &ItemFn) -> bool {
    let ReturnType::Type(_, ty) = &item.sig.output else {
        return false;
    };
    let Some((_, text)) = types::sized_for(ty) else {
        return false;
    };
    cx.error_spanned_by(
        ty,
        format!(
            "a `#[node]` fn cannot return `{}`, which has no size known at compile time: an output is a value, so return `{text}`",
            types::type_text(ty)
        ),
    );
    true
}

/// A second `#[node]` (or `#[node(..)]`) on the same fn: one error at it, and it is
/// removed from `item` so that the node is declared once (not also rustc's
/// "defined multiple times" and "conflicting implementations" for its items).
pub(crate) fn take_second_node_attr(cx: &Ctxt, item: &mut ItemFn) {
    let is_node = |a: &syn::Attribute| a.path().segments.last().is_some_and(|s| s.ident == "node");
    let Some(index) = item.attrs.iter().position(is_node) else {
        return;
    };
    let second = item.attrs.remove(index);
    cx.error_spanned_by(
        &second,
        "`#[node]` is on this fn twice; keep one and put all its options in it, like `#[node(timeout = \"1s\", retry(max = 3))]`",
    );
}

/// `#[retry(..)]`, `#[timeout = ".."]`, `#[spawn]` or `#[spawn_blocking]` under `#[node]`:
/// the binding attributes of `workflow!` (or the node's options) written as attributes of
/// the fn, which rustc would report as "cannot find attribute `retry`". One error each, at
/// the attribute, with the `#[node(..)]` option to write; the attribute is removed, so the
/// node is still emitted (with its other options) and workflows using it add no errors.
pub(crate) fn take_option_attrs(cx: &Ctxt, item: &mut ItemFn) {
    item.attrs.retain(|attr| {
        let Some(name) = attr.path().get_ident().map(Ident::to_string) else {
            return true;
        };
        let option = match (name.as_str(), &attr.meta) {
            // `#[retry(3)]`: the count is `max`, as `retry(3)` is no option either.
            ("retry", syn::Meta::List(list)) => match syn::parse2::<syn::LitInt>(list.tokens.clone()) {
                Ok(n) => format!("retry(max = {n})"),
                Err(_) => format!("retry({})", crate::workflow::ast::tokens_text(&list.tokens)),
            },
            ("retry", _) => "retry(max = 3)".to_string(),
            ("timeout", syn::Meta::NameValue(nv)) => {
                format!("timeout = {}", nv.value.to_token_stream())
            }
            ("timeout", syn::Meta::List(list)) => match syn::parse2::<syn::LitStr>(list.tokens.clone()) {
                Ok(lit) => format!("timeout = {}", lit.to_token_stream()),
                Err(_) => "timeout = \"1s\"".to_string(),
            },
            ("timeout", syn::Meta::Path(_)) => "timeout = \"1s\"".to_string(),
            ("spawn" | "spawn_blocking", _) => name.clone(),
            _ => return true,
        };
        let per_call = match name.as_str() {
            "retry" => "; for one call only, put `#[retry(..)]` on its binding in `workflow!`",
            "timeout" => "; for one call only, put `#[timeout = \"..\"]` on its binding in `workflow!`",
            _ => "",
        };
        cx.error_spanned_by(
            attr,
            format!(
                "`{name}` is an option of `#[node]`, not an attribute of its own: write `#[node({option})]` (with the node's other options, if any){per_call}"
            ),
        );
        false
    });
}

/// `#[resource] db: Db` (or `#[inject]`, `#[state]`, `#[dependency]`, ..): a parameter
/// marked as a resource the way other frameworks inject one, which rustc reported as
/// "cannot find attribute `resource`" (suggesting thiserror's `#[source]`). One error at
/// the attribute, saying to type it `Res<Db>`; the attribute goes and the parameter is
/// read as `Res<Db>`, so the node is emitted (its body reads `db` through `Deref`) and
/// workflows calling it add no "port `db` is not connected".
pub(crate) fn take_param_resource_attrs(cx: &Ctxt, item: &mut ItemFn) {
    for input in &mut item.sig.inputs {
        let FnArg::Typed(pt) = input else { continue };
        let mut marked = false;
        pt.attrs.retain(|attr| {
            let Some(name) = attr.path().get_ident().map(Ident::to_string) else {
                return true;
            };
            if !is_resource_marker(&name) {
                return true;
            }
            let param = match &*pt.pat {
                syn::Pat::Ident(pi) => pi.ident.to_string(),
                _ => "db".into(),
            };
            let ty = resource_type_text(&pt.ty);
            cx.error_spanned_by(
                attr,
                format!("a `#[node]` parameter takes no `#[{name}]`: a resource is marked by its type, so write `{param}: Res<{ty}>` (the runtime passes it in; register it with `Runtime::builder().resource(..)`, or `h.mock(..)` in a test)"),
            );
            marked = true;
            false
        });
        if marked && !matches!(super::ast::classify(&pt.ty), ParamKind::Resource(_)) {
            let inner = match &*pt.ty {
                Type::Reference(r) => (*r.elem).clone(),
                other => other.clone(),
            };
            *pt.ty = syn::parse_quote!(::workflow_core::Res<#inner>);
        }
    }
}

/// Attribute names other frameworks mark an injected parameter with.
fn is_resource_marker(name: &str) -> bool {
    matches!(
        name,
        "resource"
            | "res"
            | "inject"
            | "injected"
            | "state"
            | "dependency"
            | "dep"
            | "shared"
            | "service"
            | "data"
    )
}

/// `Db` for a parameter typed `Db`, `&Db` or already `Res<Db>`.
fn resource_type_text(ty: &Type) -> String {
    match super::ast::classify(ty) {
        ParamKind::Resource(inner) => types::type_text(&inner),
        _ => match ty {
            Type::Reference(r) => types::type_text(&r.elem),
            other => types::type_text(other),
        },
    }
}

/// `#[test]`, `#[tokio::test]`, `#[tokio::main]` or `#[workflow_test]` under `#[node]`:
/// a node is run by the workflows that call it, so these (which turn the fn into a test
/// or a `main`, or remove it outside `cfg(test)`) left rustc's errors about the node's
/// generated items ("expected function, found struct `f`", "`u32` is not a future"). One
/// error each, at the attribute, which is removed so that the node is still emitted.
pub(crate) fn take_entry_attrs(cx: &Ctxt, item: &mut ItemFn) {
    let name = item.sig.ident.to_string();
    item.attrs.retain(|attr| {
        let path = crate::internals::attr::path_name(attr.path());
        let last = path.rsplit("::").next().unwrap_or_default();
        if !matches!(last, "test" | "main" | "workflow_test") {
            return true;
        }
        cx.error_spanned_by(
            attr,
            format!("remove `#[{path}]`: a `#[node]` fn is run by the workflows that call it, not as a test or a `main`; to test `{name}`, run a workflow that calls it in a `#[workflow_test]` fn of its own"),
        );
        false
    });
}

/// `spawn` and `spawn_blocking` exclude each other.
fn check_spawn_modes(cx: &Ctxt, args: &NodeArgs) {
    if let (Some(spawn), Some(_)) = (args.policy.spawn, args.blocking) {
        cx.error_at(
            spawn,
            "`spawn` and `spawn_blocking` exclude each other: `spawn` is for async fns, `spawn_blocking` for plain fns that block or burn CPU",
        );
    }
}

/// An `async fn`, or a plain fn with `spawn_blocking`.
fn check_asyncness(cx: &Ctxt, sig: &Signature, args: &NodeArgs) {
    // A `const fn` is said once, by `check_qualifiers` (which says to write `async fn`).
    if sig.constness.is_some() {
        return;
    }
    match (&sig.asyncness, args.blocking.is_some()) {
        (None, false) if only_async_is_missing(sig, args) => cx.error_spanned_by(
            sig.fn_token,
            "`#[node]` needs an `async fn`; add `async` before `fn` (or, for a plain fn that blocks or burns CPU, use `#[node(spawn_blocking)]`)",
        ),
        // The rest return `impl Future` or a boxed future.
        (None, false) if returns_boxed_future(sig) => cx.error_spanned_by(
            sig.fn_token,
            "`#[node]` needs an `async fn`: write `async fn` and return the future's `Output` type instead of a boxed future (the body's `Box::pin(async move { .. })` becomes the fn's own body)",
        ),
        (None, false) => cx.error_spanned_by(
            sig.fn_token,
            "`#[node]` needs an `async fn`: write `async fn` and return the future's `Output` type instead of `impl Future`",
        ),
        (Some(a), true) => cx.error_spanned_by(
            a,
            "`#[node(spawn_blocking)]` runs a plain fn on tokio's blocking pool; remove `async` (or drop `spawn_blocking` to await it in the run)",
        ),
        _ => {}
    }
}

/// A plain `fn` (not `const`, nor `spawn_blocking`, nor returning `impl Future`) whose
/// fix is `async` alone, told by [`check_asyncness`].
pub(super) fn only_async_is_missing(sig: &Signature, args: &NodeArgs) -> bool {
    sig.asyncness.is_none()
        && sig.constness.is_none()
        && args.blocking.is_none()
        && !returns_impl_future(sig)
        && !returns_boxed_future(sig)
}

/// `fn f(..) -> impl Future<Output = T>`: an async fn written out by hand.
fn returns_impl_future(sig: &Signature) -> bool {
    let ReturnType::Type(_, ty) = &sig.output else {
        return false;
    };
    let Type::ImplTrait(it) = &**ty else {
        return false;
    };
    it.bounds.iter().any(|b| {
        matches!(b, syn::TypeParamBound::Trait(t)
            if t.path.segments.last().is_some_and(|s| s.ident == "Future"))
    })
}

/// `fn f(..) -> Pin<Box<dyn Future<Output = T> + Send>>` or `-> BoxFuture<'static, T>`
/// (the prelude's): an async fn written out by hand, boxed.
fn returns_boxed_future(sig: &Signature) -> bool {
    let ReturnType::Type(_, ty) = &sig.output else {
        return false;
    };
    let Some(last) = last_segment(ty) else {
        return false;
    };
    if last.ident == "BoxFuture" || last.ident == "LocalBoxFuture" {
        return true;
    }
    // `Pin<Box<dyn Future<..>>>`: `Pin`'s one argument is a `Box` of a trait object
    // one of whose bounds is `Future`.
    let boxed = |ty: &Type| {
        last_segment(ty)
            .filter(|b| b.ident == "Box")
            .and_then(|b| only_type_argument(b))
            .is_some_and(|inner| {
                matches!(inner, Type::TraitObject(o) if o.bounds.iter().any(|b| matches!(b,
                    syn::TypeParamBound::Trait(t)
                        if t.path.segments.last().is_some_and(|s| s.ident == "Future"))))
            })
    };
    last.ident == "Pin" && only_type_argument(last).is_some_and(boxed)
}

/// The last segment of a path type (`std::pin::Pin<..>` gives `Pin<..>`).
fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        _ => None,
    }
}

/// The type argument of a segment with exactly one (`Box<T>` gives `T`).
fn only_type_argument(segment: &syn::PathSegment) -> Option<&Type> {
    let syn::PathArguments::AngleBracketed(args) = &segment.arguments else {
        return None;
    };
    let mut types = args.args.iter().filter_map(|a| match a {
        syn::GenericArgument::Type(t) => Some(t),
        _ => None,
    });
    let first = types.next()?;
    types.next().is_none().then_some(first)
}

/// No `const`, `unsafe`, `extern` or variadic fn.
fn check_qualifiers(cx: &Ctxt, sig: &Signature) {
    if let Some(c) = &sig.constness {
        cx.error_spanned_by(
            c,
            "a `#[node]` fn cannot be `const`; write `async fn` (or, for a plain fn that blocks or burns CPU, `#[node(spawn_blocking)] fn`)",
        );
    }
    if let syn::Safety::Unsafe(u) = &sig.safety {
        cx.error_spanned_by(
            u,
            "a `#[node]` fn cannot be `unsafe`; keep the unsafe code inside a safe fn",
        );
    }
    if let Some(abi) = &sig.abi {
        cx.error_spanned_by(abi, "a `#[node]` fn cannot have an `extern` ABI");
    }
    if let Some(v) = &sig.variadic {
        cx.error_spanned_by(v, "a `#[node]` fn cannot be variadic");
    }
}

/// No type or const generics and no `where` clause (lifetimes: [`check_no_lifetimes`]).
/// The `where` clause of a generic fn bounds its generics: one mistake, reported once,
/// at the generic parameter (the wrapper the message asks for has neither).
fn check_generics(cx: &Ctxt, sig: &Signature) {
    let mut generic = false;
    for param in &sig.generics.params {
        if let syn::GenericParam::Type(_) | syn::GenericParam::Const(_) = param {
            generic = true;
            cx.error_spanned_by(
                param,
                "a `#[node]` fn cannot be generic: a graph needs concrete port types; write a non-generic `#[node]` wrapper that calls the generic fn",
            );
        }
    }
    if let (Some(w), false) = (&sig.generics.where_clause, generic) {
        cx.error_spanned_by(w, "a `#[node]` fn cannot have a `where` clause");
    }
}

/// No `self`.
fn check_receiver(cx: &Ctxt, sig: &Signature) {
    for input in &sig.inputs {
        if let FnArg::Receiver(r) = input {
            cx.error_spanned_by(
                r,
                "a `#[node]` fn cannot take `self`; make it a free fn, and pass shared state as a `Res<T>` parameter",
            );
        }
    }
}

/// A parameter is a plain name of a well-formed kind; a port owns its data. Returns
/// whether a port borrows.
fn check_param(cx: &Ctxt, param: &Param, output_borrows: bool) -> bool {
    let Some(ident) = &param.ident else {
        cx.error_spanned_by(
            &param.pat,
            "a `#[node]` parameter must be a plain name, like `items: Vec<u32>`, because the name is the input port's name; destructure inside the body",
        );
        return false;
    };
    match &param.kind {
        ParamKind::Port if super::stand_in::holds_context(&param.ty) => {
            cx.error_spanned_by(&param.ty, context_held_text(ident, &param.ty));
            false
        }
        ParamKind::Port if super::stand_in::holds_resource(&param.ty) => {
            cx.error_spanned_by(
                &param.ty,
                format!("a resource parameter is a `Res<T>` itself, like `{ident}: Res<T>` (a run fails before any node starts when it is not registered); for a resource that may be absent, take `ctx: &Context` and call `ctx.resource::<T>()`, an `Option<Res<T>>`"),
            );
            false
        }
        ParamKind::Port => check_port_type(cx, ident, &param.ty, output_borrows),
        // `db: Res<&Db>`: a resource of type `&Db`, which nothing can register (a
        // resource is `'static` and owned by the runtime), so every run failed with
        // "needs resource `&Db`, which is not registered" while `Db` was.
        // (`Res<&'static Config>` stays: a `&'static` value can be registered.)
        ParamKind::Resource(inner) if matches!(&**inner, Type::Reference(r) if !types::is_static(r)) =>
        {
            let Type::Reference(r) = &**inner else {
                return false;
            };
            let elem = types::type_text(&r.elem);
            cx.error_spanned_by(
                &**inner,
                format!("write `{ident}: Res<{elem}>`: a `Res` is already a shared handle to the registered `{elem}` (it derefs to `&{elem}`), and `Res<&{elem}>` would ask for a resource of type `&{elem}`, which cannot be registered"),
            );
            false
        }
        ParamKind::Context => {
            check_context_ref(cx, ident, &param.ty);
            false
        }
        ParamKind::Resource(_) => false,
        ParamKind::ContextMut if matches!(&param.ty, Type::Reference(r) if is_foreign_context(&r.elem)) =>
        {
            check_context_ref(cx, ident, &param.ty);
            false
        }
        ParamKind::ContextMut => {
            cx.error_spanned_by(
                &param.ty,
                "take the context as `&Context`, not `&mut Context`",
            );
            false
        }
        ParamKind::ResourceByRef => {
            let elem = match &param.ty {
                Type::Reference(r) => types::type_text(&r.elem),
                _ => "Res<T>".into(),
            };
            cx.error_spanned_by(
                &param.ty,
                format!("take the resource by value: `{ident}: {elem}` (a `Res` is a shared handle to it, cheap to clone)"),
            );
            false
        }
        ParamKind::ContextByValue => {
            cx.error_spanned_by(&param.ty, "take the context by reference: `ctx: &Context`");
            false
        }
        // Not reported here: rustc reports `Res` without exactly one type argument
        // (E0107, with the fix `Res<T>`) at the same tokens, and a second error there
        // would add nothing. The node is a stand-in (see `node::expand`).
        ParamKind::MalformedResource => check_port_type(cx, ident, &param.ty, output_borrows),
    }
}

/// `&Context` as the runtime lends it: not `&'static` (rustc said "`__workflow_ctx` does
/// not live long enough" at `#[node]`), and this crate's `Context`, not std's poll
/// context `&std::task::Context<'_>` (rustc said "expected `&Context<'_>`, found
/// `&Context`" at `#[node]`).
fn check_context_ref(cx: &Ctxt, ident: &Ident, ty: &Type) {
    let Type::Reference(r) = ty else { return };
    if is_foreign_context(&r.elem) {
        cx.error_spanned_by(
            ty,
            format!("this is a future's poll context (`std::task::Context`); a node's context is `workflow_core::Context`, in the prelude: take `{ident}: &Context`"),
        );
    } else if let Some(l) = r.lifetime.as_ref().filter(|l| l.ident == "static") {
        cx.error_spanned_by(
            l,
            format!("take the context as `{ident}: &Context`: the runtime lends it for the call only, so it cannot be `&'static`; copy out what must outlive the call (`ctx.node()`, `ctx.run_id()`)"),
        );
    }
}

/// `std::task::Context<'_>`, `core::task::Context`, `task::Context<'_>`: a `Context` with
/// a lifetime argument or under `std`/`core`/`task` (this crate's has neither).
pub(crate) fn is_foreign_context(ty: &Type) -> bool {
    let Type::Path(tp) = ty else { return false };
    let Some(last) = tp.path.segments.last() else {
        return false;
    };
    last.ident == "Context"
        && (!last.arguments.is_empty()
            || tp
                .path
                .segments
                .iter()
                .any(|s| s.ident == "std" || s.ident == "core" || s.ident == "task"))
}

/// What a port holding the context (`Option<&Context>`, `Arc<Context>`) is told.
fn context_held_text(ident: &Ident, ty: &Type) -> String {
    let by_reference = TypeFinder::find(ty).borrowed.is_some();
    if by_reference {
        format!("take the context as `{ident}: &Context`: every node has one (it is not a port, and not optional)")
    } else {
        format!("take the context as `{ident}: &Context`: the runtime lends every node its context for the call, so it is not a port, nor shared by `{}`; copy out what must outlive the call (`ctx.node()`, `ctx.run_id()`)", types::type_text(ty).split('<').next().unwrap_or("Arc").trim())
    }
}

/// A port's type names a concrete, owned type. Returns whether it borrows.
fn check_port_type(cx: &Ctxt, ident: &Ident, ty: &Type, output_borrows: bool) -> bool {
    let found = TypeFinder::find(ty);
    if let (Some(tokens), Some(it)) = (found.impl_trait, &found.impl_trait_type) {
        cx.error_spanned_by(tokens, impl_trait_port_text(ident, ty, it));
    }
    let borrows = found.borrowed.is_some();
    if let Some(tokens) = found.borrowed {
        cx.error_spanned_by(
            tokens,
            if output_borrows {
                format!("input port `{ident}` and the output must own their data: take `String`/`Vec<T>`/`Arc<T>` instead of a borrowed type, and return an owned type too (only `&'static` borrows are allowed)")
            } else {
                let mut msg = format!("input port `{ident}` must own its data: take `String`/`Vec<T>`/`Arc<T>` instead of a borrowed type (only `&'static` is allowed)");
                if let Some(service) = borrowed_service(ty) {
                    msg.push_str(&format!("; if `{service}` is a resource the runtime holds (`Runtime::builder().resource(..)`), take it as `{ident}: Res<{service}>`"));
                }
                msg
            },
        );
    }
    borrows
}

/// The error of port `ident: ty` whose type is or holds the `impl Trait` `it`: an edge
/// carries one concrete type, so the port names one. The type to write when the trait
/// says which (`Vec<u32>` for `impl IntoIterator<Item = u32>`, see
/// [`types::concrete_for_impl`]); otherwise a concrete type of the user's or a trait
/// object of this trait (`Box<dyn Handler + Send>`). (It used to say `Box<dyn Trait +
/// Send>` for every trait, which for `IntoIterator` or `Into<String>` compiles to a value
/// nothing can be done with: their methods take `self` by value.)
fn impl_trait_port_text(ident: &Ident, ty: &Type, it: &syn::TypeImplTrait) -> String {
    let head = format!(
        "input port `{ident}` cannot have an `impl Trait` type: an edge carries one concrete type"
    );
    let whole = matches!(ty, Type::ImplTrait(_));
    match types::concrete_for_impl(it) {
        Some(concrete) if whole => format!(
            "{head}; take `{ident}: {concrete}` instead of `{}`",
            types::bound_text(it)
        ),
        Some(concrete) => format!("{head}; write `{concrete}` for `{}`", types::bound_text(it)),
        None => {
            let mut msg = format!(
                "{head}; name a type of yours (`{ident}: MyType`) or take a trait object (`{ident}: Box<dyn {}>`)",
                types::impl_bounds_text(it)
            );
            // A trait of the user's own (`impl Pricing`) is often a service: a resource.
            if whole {
                if let Some(name) = impl_trait_name(it) {
                    msg.push_str(&format!(
                        "; a service the runtime holds is a resource: `{ident}: Res<dyn {name}>`"
                    ));
                }
            }
            msg
        }
    }
}

/// The name of the trait an `impl Trait` is first bound by (`IntoIterator`).
fn impl_trait_name(it: &syn::TypeImplTrait) -> Option<String> {
    it.bounds.iter().find_map(|b| match b {
        syn::TypeParamBound::Trait(t) => t.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    })
}

/// `Db` of a port typed `&Db`: a borrowed type of the user's own (not `&str`, `&[T]`,
/// `&String`, ..), often a resource taken the way a plain fn takes a shared service.
fn borrowed_service(ty: &Type) -> Option<String> {
    let Type::Reference(r) = ty else { return None };
    if r.lifetime.is_some() {
        return None;
    }
    let Type::Path(tp) = &*r.elem else {
        return None;
    };
    let [segment] = tp.path.segments.iter().collect::<Vec<_>>()[..] else {
        return None;
    };
    let name = segment.ident.to_string();
    const STD: &[&str] = &[
        "String", "Vec", "Option", "Box", "Arc", "Rc", "Path", "PathBuf", "OsStr", "Cow",
        "HashMap", "HashSet", "BTreeMap", "BTreeSet", "VecDeque", "Result", "Context",
    ];
    let user_type = name.starts_with(char::is_uppercase)
        && !STD.contains(&name.as_str())
        && matches!(segment.arguments, syn::PathArguments::None);
    user_type.then_some(name)
}

/// Ports and the output cross threads: a visibly non-`Send` type (`Rc<T>`) is one
/// error, at it, saying to use `Arc`. Reported next to a usable node: the expansion
/// puts `Arc` in its place (see `internals::not_send`), so no bound repeats it.
pub(crate) fn check_send(cx: &Ctxt, node: &NodeFn) {
    use crate::internals::not_send;
    for param in &node.params {
        if let (Some(ident), ParamKind::Port) = (&param.ident, &param.kind) {
            let what = format!("input port `{ident}`");
            if let Some((found, fix)) = not_send::find(&param.ty) {
                cx.error_spanned_by(found, not_send::message(&what, found, fix));
            } else if let Some((found, fix)) = not_send::find_dyn(&param.ty) {
                cx.error_spanned_by(found, not_send::dyn_message(&what, found, fix));
            }
        }
    }
    let output = match &node.output {
        OutputKind::Plain(ty) => Some(ty),
        OutputKind::Fallible(ty) => super::ast::result_ok_type(ty),
        OutputKind::Unit => None,
    };
    if let Some((found, fix)) = output.and_then(not_send::find) {
        cx.error_spanned_by(found, not_send::message("the output", found, fix));
    } else if let Some((found, fix)) = output.and_then(not_send::find_dyn) {
        cx.error_spanned_by(found, not_send::dyn_message("the output", found, fix));
    }
}

/// At most one `&Context`.
fn check_one_context(cx: &Ctxt, node: &NodeFn) {
    let contexts: Vec<_> = node
        .params
        .iter()
        .filter(|p| {
            p.ident.is_some()
                && matches!(
                    p.kind,
                    ParamKind::Context | ParamKind::ContextMut | ParamKind::ContextByValue
                )
        })
        .collect();
    if let [first, second, ..] = contexts.as_slice() {
        let (pat, ty, keep) = (&second.pat, &second.ty, &first.pat);
        cx.error_spanned_by(
            quote::quote!(#pat #ty),
            format!(
                "a `#[node]` fn takes at most one `&Context`: remove `{}: {}` and use `{}` (a node's contexts would all be the same one, its run's for this node)",
                quote::ToTokens::to_token_stream(pat),
                quote::ToTokens::to_token_stream(ty).to_string().replace("& ", "&"),
                quote::ToTokens::to_token_stream(keep),
            ),
        );
    }
}

/// Methods only a [`Context`] has: a body calling one of them on a name it never binds
/// (`ctx.emit(..)` in a fn without `ctx: &Context`) forgot the parameter.
const CONTEXT_METHODS: &[&str] = &[
    "emit",
    "attempt",
    "publish",
    "wait",
    "wait_signal",
    "signal",
    "is_cancelled",
    "cancelled",
    "cancellation",
    "idempotency_key",
    "run_id",
    "node_fn",
];

/// For an `async fn` without a `&Context` parameter, the name its body calls `Context`
/// methods on (`ctx.emit(..)`, `ctx.attempt()`) without binding it anywhere (no
/// parameter, `let`, closure or pattern binding of that name): the `ctx` of a forgotten
/// `ctx: &Context`.
pub(crate) fn undeclared_context(item: &ItemFn, node: &NodeFn) -> Option<Ident> {
    let has_context = node.params.iter().any(|p| {
        matches!(
            p.kind,
            ParamKind::Context | ParamKind::ContextMut | ParamKind::ContextByValue
        )
    });
    if has_context || item.sig.asyncness.is_none() {
        return None;
    }
    unbound_receiver(node.params.iter().map(|p| &*p.pat), &item.block, |m| {
        CONTEXT_METHODS.contains(&m)
    })
}

/// The output is a named, owned type (a borrowed one is said with the first borrowed
/// port's error, if any). Returns whether it borrows.
/// `-> !`: rustc said "the `!` type is experimental" inside the generated node, which
/// names its output type where `!` is not stable.
const NEVER_OUTPUT: &str = "a node's output is the value its successors take, and `-> !` never gives one: return `()` for a node that only acts, or a `Result<T, E>` to fail the run with an error (a panic in the node fails it too)";

fn check_output(cx: &Ctxt, sig: &Signature, ports_borrow: bool, blocking: bool) -> bool {
    let ReturnType::Type(_, ty) = &sig.output else {
        return false;
    };
    if let Type::Never(never) = &**ty {
        cx.error_spanned_by(never, NEVER_OUTPUT);
        return false;
    }
    let found = TypeFinder::find(ty);
    // `-> impl Future` on a plain fn is said once, as a missing `async` (see
    // `check_asyncness`).
    if let Some(tokens) = found
        .impl_trait
        .filter(|_| sig.asyncness.is_some() || blocking || !returns_impl_future(sig))
    {
        let mut msg = "a `#[node]` fn cannot return `impl Trait`; name the output type so the graph can carry it".to_owned();
        if let Some(concrete) = found
            .impl_trait_type
            .as_ref()
            .and_then(types::concrete_for_impl)
        {
            let how = match found
                .impl_trait_type
                .as_ref()
                .and_then(impl_trait_name)
                .as_deref()
            {
                Some("IntoIterator" | "Iterator" | "ExactSizeIterator" | "DoubleEndedIterator") => {
                    ", and `.collect()` the iterator"
                }
                Some("Display" | "ToString") => ", and return `value.to_string()`",
                Some("Into") => ", and return `value.into()`",
                _ => "",
            };
            msg.push_str(&format!(": `-> {concrete}`{how}"));
        }
        cx.error_spanned_by(tokens, msg);
    }
    let borrows = found.borrowed.is_some();
    if let Some(tokens) = found
        .borrowed
        .filter(|_| !ports_borrow && !output_lifetime_is_rustcs_error(sig))
    {
        cx.error_spanned_by(tokens, "a `#[node]` output must own its data (no borrowed types other than `&'static`), because it outlives the call");
    }
    borrows
}

/// Whether the output borrows with an elided lifetime (`-> &str`) that no parameter
/// can supply: rustc reports that (E0106, suggesting an owned type), so `#[node]` adds
/// no second error and generates no node (see `node::expand`).
pub(crate) fn output_lifetime_is_rustcs_error(sig: &Signature) -> bool {
    struct Elided(bool);
    impl<'ast> Visit<'ast> for Elided {
        fn visit_type_reference(&mut self, i: &'ast syn::TypeReference) {
            self.0 |= i.lifetime.as_ref().is_none_or(|l| l.ident == "_");
            syn::visit::visit_type_reference(self, i);
        }
    }
    let ReturnType::Type(_, ty) = &sig.output else {
        return false;
    };
    let mut elided = Elided(false);
    elided.visit_type(ty);
    let inputs_borrow = sig.inputs.iter().any(|input| match input {
        FnArg::Receiver(_) => true,
        FnArg::Typed(pt) => TypeFinder::find(&pt.ty).borrowed.is_some(),
    });
    elided.0 && !inputs_borrow
}

/// No lifetime parameters: inputs and output outlive the call.
fn check_no_lifetimes(cx: &Ctxt, sig: &Signature) {
    for param in &sig.generics.params {
        if let syn::GenericParam::Lifetime(l) = param {
            cx.error_spanned_by(
                l,
                "a `#[node]` fn cannot have lifetime parameters: its inputs and output outlive the call, so they must own their data",
            );
        }
    }
}

/// Finds `impl Trait` and non-`'static` borrows inside a type, keeping their tokens so
/// that errors span the whole construct.
#[derive(Default)]
struct TypeFinder {
    impl_trait: Option<TokenStream>,
    /// The first `impl Trait` itself, for the type its error suggests.
    impl_trait_type: Option<syn::TypeImplTrait>,
    borrowed: Option<TokenStream>,
}

impl TypeFinder {
    fn find(ty: &Type) -> Self {
        let mut finder = Self::default();
        finder.visit_type(ty);
        finder
    }
}

impl<'ast> Visit<'ast> for TypeFinder {
    fn visit_type_impl_trait(&mut self, i: &'ast syn::TypeImplTrait) {
        self.impl_trait.get_or_insert_with(|| i.to_token_stream());
        self.impl_trait_type.get_or_insert_with(|| i.clone());
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

/// Whether `ty` is a path whose last segment ends in `Result` (not `Result` itself) with
/// generic arguments: `PayResult<String>`, `io_util::IoResult<u8>`, most likely an alias of
/// `Result` that hides the node's error from `#[node]`.
fn looks_like_result_alias(ty: &syn::Type) -> bool {
    let syn::Type::Path(tp) = ty else {
        return false;
    };
    tp.path.segments.last().is_some_and(|s| {
        let name = s.ident.to_string();
        name != "Result"
            && name.ends_with("Result")
            && matches!(s.arguments, syn::PathArguments::AngleBracketed(_))
    })
}

#[cfg(test)]
mod tests {
    use proc_macro2::TokenStream;
    use quote::quote;

    use super::*;
    use crate::node::attr::parse_args;

    /// The messages of `check_options` and `check_fn` for `#[node(args)] item`.
    fn messages(args: TokenStream, item: TokenStream) -> Vec<String> {
        let cx = Ctxt::new();
        let mut args = parse_args(&cx, args);
        assert!(!cx.has_errors(), "{:?}", cx.messages());
        let item: ItemFn = syn::parse2(item).expect("parses");
        let node = NodeFn::from_item(&item);
        check_options(&cx, &item, &node, &mut args);
        check_fn(&cx, &item, &node, &args);
        cx.messages()
    }

    #[test]
    fn another_languages_type_names_are_one_error_each_and_replaced() {
        let cx = Ctxt::new();
        let mut item: ItemFn = syn::parse2(quote!(
            async fn f(n: int, xs: Vec<int>, s: &string, ok: MyInt) -> (int, float) {}
        ))
        .expect("parses");
        foreign_type_names(&cx, &mut item);
        assert_eq!(
            cx.messages(),
            [
                "`int` is not a Rust type: write `i64` (or the integer type you need: `u32`, `usize`, `i32`, ..)",
                "`string` is not a Rust type: write `String` (`&'static str` for a literal)",
                "`float` is not a Rust type: write `f64` (or `f32`)",
            ]
        );
        let sig = item.sig.to_token_stream().to_string();
        assert!(!sig.contains("int ") && !sig.contains("float"), "{sig}");
        assert!(
            sig.contains("Vec < i64 >") && sig.contains("MyInt"),
            "{sig}"
        );

        let cx = Ctxt::new();
        let mut item: ItemFn = syn::parse2(quote!(
            async fn f(n: u32) -> None {}
        ))
        .expect("parses");
        foreign_type_names(&cx, &mut item);
        assert_eq!(
            cx.messages(),
            ["remove `-> None`: a fn that returns nothing has no return type (its output is `()`)"]
        );
        assert!(matches!(item.sig.output, ReturnType::Default));
    }

    #[test]
    fn a_context_in_an_arc_or_box_is_one_error_not_a_port() {
        for ty in [
            quote!(Arc<Context>),
            quote!(std::rc::Rc<Context>),
            quote!(Box<workflow_core::Context>),
        ] {
            let m = messages(quote!(), quote!(async fn f(n: u32, ctx: #ty) -> u32 { n }));
            assert_eq!(m.len(), 1, "{m:?}");
            assert!(
                m[0].starts_with("take the context as `ctx: &Context`: the runtime lends"),
                "{m:?}"
            );
        }
        let m = messages(
            quote!(),
            quote!(
                async fn f(n: u32, ctx: Arc<Context>) -> u32 {
                    n
                }
            ),
        );
        assert!(m[0].contains("nor shared by `Arc`"), "{m:?}");
        // A context of one's own, as a type argument under another name, is a port.
        assert!(messages(
            quote!(),
            quote!(
                async fn f(c: Arc<AppContext>) -> u32 {
                    1
                }
            )
        )
        .is_empty());
        // By reference inside an `Option`: the message of before.
        let m = messages(
            quote!(),
            quote!(
                async fn f(ctx: Option<&Context>) -> u32 {
                    1
                }
            ),
        );
        assert!(
            m[0].ends_with("(it is not a port, and not optional)"),
            "{m:?}"
        );
    }

    #[test]
    fn a_never_output_is_one_error_at_the_bang() {
        let m = messages(
            quote!(),
            quote!(
                async fn halt(n: u32) -> ! {
                    panic!("{n}")
                }
            ),
        );
        assert_eq!(m, [NEVER_OUTPUT]);
    }

    #[test]
    fn a_context_under_another_name_is_one_error_and_becomes_context() {
        let cx = Ctxt::new();
        let mut item: ItemFn = syn::parse2(quote!(
            async fn f(n: u32, ctx: &TaskContext, c: &Config) -> u32 {
                n
            }
        ))
        .unwrap();
        context_other_names(&cx, &mut item);
        let m = cx.messages();
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].starts_with("a node's context is `&Context`: write `ctx: &Context`"),
            "{m:?}"
        );
        let sig = item.sig.to_token_stream().to_string();
        assert!(sig.contains("ctx : & Context , c : & Config"), "{sig}");
    }

    #[test]
    fn a_test_or_main_attribute_is_one_error_and_removed() {
        let cx = Ctxt::new();
        let mut item: ItemFn = syn::parse2(quote!(
            #[inline]
            #[tokio::test]
            #[test]
            async fn f(n: u32) -> u32 {
                n
            }
        ))
        .unwrap();
        take_entry_attrs(&cx, &mut item);
        let m = cx.messages();
        assert_eq!(m.len(), 2, "{m:?}");
        assert!(
            m[0].starts_with(
                "remove `#[tokio::test]`: a `#[node]` fn is run by the workflows that call it"
            ),
            "{m:?}"
        );
        assert!(m[1].starts_with("remove `#[test]`"), "{m:?}");
        assert!(
            m[1].ends_with(
                "to test `f`, run a workflow that calls it in a `#[workflow_test]` fn of its own"
            ),
            "{m:?}"
        );
        assert_eq!(item.attrs.len(), 1, "`#[inline]` is kept");
    }

    #[test]
    fn an_unsized_port_is_one_error_and_becomes_the_sized_type() {
        let cx = Ctxt::new();
        let mut item: ItemFn = syn::parse2(quote!(
            async fn f(x: dyn Display, s: str, n: u32) -> u8 {
                0
            }
        ))
        .unwrap();
        unsized_ports(&cx, &mut item);
        let m = cx.messages();
        assert_eq!(m.len(), 2, "{m:?}");
        assert!(m[0].contains("take `x: Box<dyn Display + Send>`"), "{m:?}");
        assert!(m[1].contains("take `s: String`"), "{m:?}");
        let sig = item.sig.to_token_stream().to_string();
        assert!(
            sig.contains("x : :: std :: boxed :: Box < dyn Display + Send >"),
            "{sig}"
        );
        assert!(sig.contains("s : :: std :: string :: String"), "{sig}");
        assert!(sig.contains("n : u32"), "{sig}");
    }

    #[test]
    fn an_unsized_output_is_one_error_naming_the_sized_type() {
        let cx = Ctxt::new();
        let item: ItemFn = syn::parse2(quote!(
            async fn f() -> [u8] {
                todo!()
            }
        ))
        .unwrap();
        assert!(unsized_output(&cx, &item));
        assert_eq!(
            cx.messages(),
            ["a `#[node]` fn cannot return `[u8]`, which has no size known at compile time: an output is a value, so return `Vec<u8>`"]
        );
        let cx = Ctxt::new();
        let item: ItemFn = syn::parse2(quote!(
            async fn f() -> Box<[u8]> {
                todo!()
            }
        ))
        .unwrap();
        assert!(!unsized_output(&cx, &item));
        assert!(!cx.has_errors());
    }

    #[test]
    fn parameters_of_one_name_are_seen() {
        let dup = |item: TokenStream| has_duplicate_params(&syn::parse2(item).unwrap());
        assert!(dup(quote!(
            async fn f(x: u32, x: u32) {}
        )));
        assert!(dup(quote!(
            async fn f(x: u32, r#x: u8) {}
        )));
        assert!(!dup(quote!(
            async fn f(x: u32, y: u32, (a, b): (u8, u8)) {}
        )));
    }

    #[test]
    fn a_borrowed_service_port_is_told_to_be_a_resource() {
        let m = messages(
            quote!(),
            quote!(
                async fn f(db: &Db) -> u8 {}
            ),
        );
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].ends_with("take it as `db: Res<Db>`"), "{m:?}");
        // Borrowed data is not a service: no such hint.
        for item in [
            quote!(
                async fn f(name: &str) -> u8 {}
            ),
            quote!(
                async fn f(items: &Vec<u8>) -> u8 {}
            ),
            quote!(
                async fn f(items: &[u8]) -> u8 {}
            ),
        ] {
            let m = messages(quote!(), item);
            assert!(!m[0].contains("Res<"), "{m:?}");
        }
    }

    #[test]
    fn a_plain_node_passes() {
        assert!(messages(
            quote!(),
            quote!(
                async fn f(a: u8, s: &'static str, r: Res<Db>, ctx: &Context) -> Result<u8, E> {}
            )
        )
        .is_empty());
        assert!(messages(
            quote!(spawn_blocking),
            quote!(
                fn f(a: u8) -> u8 {}
            )
        )
        .is_empty());
    }

    #[test]
    fn a_retry_that_can_never_run_is_an_error() {
        let dead = "`retry(..)` never runs: `f` cannot fail";
        for (args, item, error) in [
            (
                quote!(retry(max = 3)),
                quote!(
                    async fn f() -> u8 {}
                ),
                Some("(it returns `u8`, not a `Result`) and it has no `timeout`"),
            ),
            (
                quote!(retry(max = 3)),
                quote!(
                    async fn f() {}
                ),
                Some("(it returns nothing, not a `Result`)"),
            ),
            (
                quote!(timeout = "1s", retry(max = 3, retry_timeouts = false)),
                quote!(
                    async fn f() -> u8 {}
                ),
                Some("`retry_timeouts = false`"),
            ),
            (
                quote!(timeout = "1s", retry(max = 3)),
                quote!(
                    async fn f() -> u8 {}
                ),
                None,
            ),
            (
                quote!(retry(max = 3)),
                quote!(
                    async fn f() -> Result<u8, E> {}
                ),
                None,
            ),
            (
                quote!(retry(max = 3)),
                quote!(
                    async fn f() -> io::Result<u8> {}
                ),
                None,
            ),
        ] {
            let msgs = messages(args, item);
            match error {
                Some(e) => {
                    assert_eq!(msgs.len(), 1, "{msgs:?}");
                    assert!(msgs[0].starts_with(dead) && msgs[0].contains(e), "{msgs:?}");
                }
                None => assert!(msgs.is_empty(), "{msgs:?}"),
            }
        }
    }

    #[test]
    fn a_retry_if_on_a_fn_without_an_error_is_one_error_at_the_predicate() {
        let never = "`retry_if` never applies: `f` cannot return an error (it returns `u8`, not a `Result`)";
        let msgs = messages(
            quote!(timeout = "1s", retry(max = 3, retry_if = always)),
            quote!(
                async fn f() -> u8 {}
            ),
        );
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        assert!(msgs[0].starts_with(never), "{msgs:?}");
        // Without a timeout the whole retry is dead: that one error says it.
        let msgs = messages(
            quote!(retry(max = 3, retry_if = always)),
            quote!(
                async fn f() -> u8 {}
            ),
        );
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        assert!(msgs[0].starts_with("`retry(..)` never runs"), "{msgs:?}");
        // A fn that returns a `Result` takes it.
        let msgs = messages(
            quote!(timeout = "1s", retry(max = 3, retry_if = transient)),
            quote!(
                async fn f() -> Result<u8, E> {}
            ),
        );
        assert!(msgs.is_empty(), "{msgs:?}");
    }

    #[test]
    fn spawn_modes_exclude_each_other() {
        let msgs = messages(
            quote!(spawn, spawn_blocking),
            quote!(
                fn f() {}
            ),
        );
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        assert!(msgs[0].starts_with("`spawn` and `spawn_blocking` exclude each other"));
    }

    #[test]
    fn asyncness_matches_the_mode() {
        let msgs = messages(
            quote!(),
            quote!(
                fn f() {}
            ),
        );
        assert!(
            msgs[0].starts_with("`#[node]` needs an `async fn`"),
            "{msgs:?}"
        );
        let msgs = messages(
            quote!(spawn_blocking),
            quote!(
                async fn f() {}
            ),
        );
        assert!(
            msgs[0].starts_with("`#[node(spawn_blocking)]` runs a plain fn"),
            "{msgs:?}"
        );
    }

    #[test]
    fn a_parameter_marked_as_a_resource_is_one_error_and_read_as_res() {
        let cx = Ctxt::new();
        let mut item: ItemFn = syn::parse2(quote!(
            async fn query(
                n: u32,
                #[resource] db: Db,
                #[inject] cache: &Cache,
                #[allow(unused)] k: u32,
            ) -> u32 {
                n
            }
        ))
        .unwrap();
        take_param_resource_attrs(&cx, &mut item);
        let m = cx.messages();
        assert_eq!(m.len(), 2, "{m:?}");
        assert!(
            m[0].starts_with("a `#[node]` parameter takes no `#[resource]`: a resource is marked by its type, so write `db: Res<Db>`"),
            "{m:?}"
        );
        assert!(m[1].contains("write `cache: Res<Cache>`"), "{m:?}");
        let node = NodeFn::from_item(&item);
        let kinds: Vec<_> = node
            .params
            .iter()
            .map(|p| matches!(p.kind, ParamKind::Resource(_)))
            .collect();
        assert_eq!(kinds, [false, true, true, false]);
        // `#[allow(..)]` stays.
        let FnArg::Typed(last) = &item.sig.inputs[3] else {
            unreachable!()
        };
        assert_eq!(last.attrs.len(), 1);
    }

    #[test]
    fn a_static_or_foreign_context_is_one_error() {
        let m = messages(
            quote!(),
            quote!(
                async fn f(n: u32, ctx: &'static Context) -> u32 {
                    n
                }
            ),
        );
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].starts_with(
                "take the context as `ctx: &Context`: the runtime lends it for the call only"
            ),
            "{m:?}"
        );
        for ty in [
            quote!(&std::task::Context<'_>),
            quote!(&mut core::task::Context),
            quote!(&task::Context<'_>),
        ] {
            let m = messages(quote!(), quote!(async fn f(n: u32, cx: #ty) -> u32 { n }));
            assert_eq!(m.len(), 1, "{m:?}");
            assert!(m[0].starts_with("this is a future's poll context"), "{m:?}");
            assert!(m[0].ends_with("take `cx: &Context`"), "{m:?}");
        }
        assert!(messages(
            quote!(),
            quote!(
                async fn f(n: u32, ctx: &workflow_core::Context) -> u32 {
                    n
                }
            )
        )
        .is_empty());
    }

    #[test]
    fn a_boxed_future_is_an_async_fn_written_out() {
        for sig in [
            quote!(fn f(n: u32) -> Pin<Box<dyn Future<Output = u32> + Send>>),
            quote!(fn f(n: u32) -> std::pin::Pin<Box<dyn std::future::Future<Output = u32> + Send + 'static>>),
            quote!(fn f(n: u32) -> BoxFuture<'static, u32>),
        ] {
            let msgs = messages(quote!(), quote!(#sig { todo!() }));
            assert_eq!(msgs.len(), 1, "{msgs:?}");
            assert!(msgs[0].contains("instead of a boxed future"), "{msgs:?}");
        }
        // A plain fn returning a box of something else only lacks `async`.
        let msgs = messages(
            quote!(),
            quote!(
                fn f(n: u32) -> Pin<Box<u32>> {
                    todo!()
                }
            ),
        );
        assert!(msgs[0].contains("add `async` before `fn`"), "{msgs:?}");
    }

    #[test]
    fn qualifiers_are_rejected() {
        assert_eq!(
            messages(
                quote!(),
                quote!(
                    const async unsafe extern "C" fn f() {}
                )
            ),
            [
                "a `#[node]` fn cannot be `const`; write `async fn` (or, for a plain fn that blocks or burns CPU, `#[node(spawn_blocking)] fn`)",
                "a `#[node]` fn cannot be `unsafe`; keep the unsafe code inside a safe fn",
                "a `#[node]` fn cannot have an `extern` ABI",
            ]
        );
    }

    #[test]
    fn parameters_are_checked_in_order() {
        let msgs = messages(
            quote!(),
            quote!(
                async fn f(
                    self,
                    (a, b): (u8, u8),
                    c: &mut Context,
                    d: Context,
                    e: Res,
                    x: impl Sized,
                ) {
                }
            ),
        );
        // `e: Res` is left to rustc (E0107).
        assert_eq!(msgs.len(), 6, "{msgs:?}");
        assert!(msgs[0].starts_with("a `#[node]` fn cannot take `self`"));
        assert!(msgs[1].starts_with("a `#[node]` parameter must be a plain name"));
        assert_eq!(
            msgs[2],
            "take the context as `&Context`, not `&mut Context`"
        );
        assert_eq!(msgs[3], "take the context by reference: `ctx: &Context`");
        assert!(msgs[4].starts_with("input port `x` cannot have an `impl Trait` type"));
        assert!(
            msgs[5].starts_with("a `#[node]` fn takes at most one `&Context`: remove `"),
            "{}",
            msgs[5]
        );
    }

    #[test]
    fn an_impl_trait_port_is_told_the_type_to_take() {
        for (param, expected) in [
            (
                quote!(items: impl IntoIterator<Item = u32>),
                "take `items: Vec<u32>` instead of `impl IntoIterator<Item = u32>`",
            ),
            (
                quote!(items: impl Iterator<Item = String> + Send + 'static),
                "take `items: Vec<String>`",
            ),
            (quote!(name: impl Into<String>), "take `name: String` instead of `impl Into<String>`"),
            (quote!(name: impl AsRef<str> + Send), "take `name: String`"),
            (quote!(bytes: impl AsRef<[u8]>), "take `bytes: Vec<u8>`"),
            (quote!(path: impl AsRef<std::path::Path>), "take `path: PathBuf`"),
            (quote!(label: impl std::fmt::Display), "take `label: String`"),
            (
                quote!(f: impl Fn(u32) -> u32 + Send + Sync),
                "take `f: Arc<dyn Fn(u32) -> u32 + Send + Sync>`",
            ),
            (quote!(f: impl FnOnce() + Send), "take `f: Box<dyn FnOnce() + Send>`"),
            (
                quote!(xs: Vec<impl std::fmt::Display>),
                "write `String` for `impl std::fmt::Display`",
            ),
            (
                quote!(h: impl Handler),
                "name a type of yours (`h: MyType`) or take a trait object (`h: Box<dyn Handler + Send>`); a service the runtime holds is a resource: `h: Res<dyn Handler>`",
            ),
            (
                quote!(h: impl Handler + Send + Sync),
                "take a trait object (`h: Box<dyn Handler + Send + Sync>`)",
            ),
        ] {
            let msgs = messages(quote!(), quote!(async fn f(#param) -> u32 { 0 }));
            assert_eq!(msgs.len(), 1, "{msgs:?}");
            assert!(
                msgs[0].starts_with("input port `")
                    && msgs[0].contains("cannot have an `impl Trait` type: an edge carries one concrete type; ")
                    && msgs[0].contains(expected),
                "{param}: {msgs:?}"
            );
        }
    }

    #[test]
    fn an_impl_trait_output_is_told_the_type_to_return() {
        for (output, expected) in [
            (
                quote!(impl Iterator<Item = u8>),
                ": `-> Vec<u8>`, and `.collect()` the iterator",
            ),
            (
                quote!(impl std::fmt::Display),
                ": `-> String`, and return `value.to_string()`",
            ),
            (
                quote!(impl Into<u64>),
                ": `-> u64`, and return `value.into()`",
            ),
            (quote!(impl Sized), "so the graph can carry it"),
        ] {
            let msgs = messages(quote!(), quote!(async fn f() -> #output { todo!() }));
            assert_eq!(msgs.len(), 1, "{msgs:?}");
            assert!(
                msgs[0].starts_with("a `#[node]` fn cannot return `impl Trait`; name the output type so the graph can carry it")
                    && msgs[0].ends_with(expected),
                "{output}: {msgs:?}"
            );
        }
    }

    #[test]
    fn outputs_must_be_named_and_owned() {
        let msgs = messages(
            quote!(),
            quote!(
                async fn f() -> impl Sized {}
            ),
        );
        assert!(
            msgs[0].starts_with("a `#[node]` fn cannot return `impl Trait`"),
            "{msgs:?}"
        );
        let msgs = messages(
            quote!(),
            quote!(
                async fn f<'a>() -> &'a str {}
            ),
        );
        // The borrowed output explains the lifetime, so it is not reported again.
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        assert!(
            msgs[0].starts_with("a `#[node]` output must own its data"),
            "{msgs:?}"
        );
        assert!(messages(
            quote!(),
            quote!(
                async fn f() -> &'static str {}
            )
        )
        .is_empty());
    }

    #[test]
    fn generics_and_lifetimes_get_their_own_messages() {
        let msgs = messages(
            quote!(),
            quote!(
                async fn f<'a, T>(x: &'a T)
                where
                    T: Send,
                {
                }
            ),
        );
        // The borrowed port explains the lifetime, so the lifetime is not reported again;
        // the `where` clause bounds `T`, so it is not reported apart from it.
        assert_eq!(msgs.len(), 2, "{msgs:?}");
        assert!(msgs[0].starts_with("a `#[node]` fn cannot be generic"));
        assert!(msgs[1].starts_with("input port `x` must own its data"));
        // A `where` clause of a fn that is not generic is its own mistake.
        let msgs = messages(
            quote!(),
            quote!(
                async fn f(x: u8) -> u8
                where
                    u8: Copy,
                {
                    x
                }
            ),
        );
        assert_eq!(msgs, ["a `#[node]` fn cannot have a `where` clause"]);
        let msgs = messages(
            quote!(),
            quote!(
                async fn f<'a>(x: u8) {}
            ),
        );
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        assert!(msgs[0].starts_with("a `#[node]` fn cannot have lifetime parameters"));
    }

    #[test]
    fn type_finder_sees_nested_borrows_and_impl_trait() {
        let ty: Type = syn::parse_quote!(Vec<(u8, Option<&str>)>);
        let found = TypeFinder::find(&ty);
        assert!(found.borrowed.is_some() && found.impl_trait.is_none());
        let ty: Type = syn::parse_quote!(Vec<&'static [u8]>);
        assert!(TypeFinder::find(&ty).borrowed.is_none());
        let ty: Type = syn::parse_quote!(Option<impl Iterator<Item = u8>>);
        assert!(TypeFinder::find(&ty).impl_trait.is_some());
    }
}
