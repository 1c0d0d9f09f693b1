//! `#[workflow_test]`: parse the options, check the fn, expand into a `#[test]` fn that
//! runs the body on its own tokio runtime under the watchdogs of `workflow-test`.
//!
//! Modeled on tokio-macros `entry.rs`: options are validated here (every misuse is a
//! spanned error), a second test attribute is rejected, and on error the fn is still
//! emitted so IDEs keep working.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::meta::ParseNestedMeta;
use syn::parse::Parser as _;
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, LitStr, Pat, Path, ReturnType, Type};

use crate::attrs::{
    int_value, path_name, positive_duration_value, skip_value, str_value, value_expr, SpannedValue,
};
use crate::errors::Errors;

const OPTIONS: &str = "`timeout`, `deadlock`, `flavor`, `workers`, `start_paused`, `crate`";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Flavor {
    CurrentThread,
    MultiThread,
}

#[derive(Default)]
struct Args {
    timeout: Option<SpannedValue<u64>>,
    deadlock: Option<SpannedValue<u64>>,
    flavor: Option<SpannedValue<Flavor>>,
    workers: Option<SpannedValue<usize>>,
    start_paused: Option<SpannedValue<bool>>,
    krate: Option<Path>,
}

/// Expands `#[workflow_test(args)] async fn name(h: Harness) -> R { body }`.
///
/// Input:
/// ```text
/// #[workflow_test(timeout = "2s")]
/// #[should_panic]
/// async fn name(h: Harness) -> Result<(), E> { body }
/// ```
/// Output:
/// ```text
/// #[should_panic]
/// #[cfg_attr(test, ::core::prelude::v1::test)]  // a plain fn outside test builds,
/// #[cfg_attr(not(test), allow(dead_code))]       // so doc examples can call it
/// fn name() {
///     async fn name(h: Harness) -> Result<(), E> { body }
///     ::workflow_test::__private::run(
///         ::workflow_test::__private::Config { name: .., timeout: Some(..), .. },
///         |h: Harness| async move {
///             // `into_outcome::<R>` requires `R: TestOutput`, spanned at `R`.
///             ::workflow_test::__private::into_outcome::<Result<(), E>>(name(h).await)
///         },
///     )
/// }
/// ```
pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let item_fn: ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(_) => {
            let err = syn::Error::new_spanned(
                &item,
                "`#[workflow_test]` goes on an `async fn`, like `#[workflow_test] async fn it_runs(h: Harness) { .. }`",
            )
            .to_compile_error();
            return quote!(#item #err);
        }
    };
    let mut errors = Errors::new();
    let args = parse_args(args, &mut errors);
    check_fn(&item_fn, &mut errors);
    if !errors.is_empty() {
        // The fn as written, so IDEs keep working; its warnings would only be noise next
        // to the errors.
        let err = errors.to_compile_errors();
        return quote!(#[allow(unused)] #item_fn #err);
    }
    expand_fn(item_fn, &args)
}

fn parse_args(args: TokenStream, errors: &mut Errors) -> Args {
    let mut out = Args::default();
    let parser = syn::meta::parser(|meta| parse_option(&meta, &mut out, errors));
    if let Err(e) = parser.parse2(args) {
        errors.push(e);
    }
    check_args(&out, errors);
    out
}

/// Parses one option. A bad value is recorded in `errors` and parsing goes on, so every
/// bad option of one attribute is reported in one pass.
fn parse_option(
    meta: &ParseNestedMeta<'_>,
    out: &mut Args,
    errors: &mut Errors,
) -> syn::Result<()> {
    let path = &meta.path;
    let name = path_name(path);
    let duplicate = |errors: &mut Errors| {
        errors.error(path, format!("duplicate `{name}` option; keep only one"));
    };
    match name.as_str() {
        "timeout" | "deadlock" => {
            let message = format!("`{name}` must be a positive duration, like \"2s\"");
            let Some(d) = positive_duration_value(meta, errors, &message)? else {
                return Ok(());
            };
            let slot = if name == "timeout" {
                &mut out.timeout
            } else {
                &mut out.deadlock
            };
            if slot.replace(d).is_some() {
                duplicate(errors);
            }
        }
        "flavor" => {
            let expr = value_expr(meta)?;
            let lit = match str_value(
                &expr,
                "expected `flavor = \"current_thread\"` or `flavor = \"multi_thread\"`",
            ) {
                Ok(lit) => lit,
                Err(e) => {
                    errors.push(e);
                    return Ok(());
                }
            };
            let flavor = match lit.value().as_str() {
                "current_thread" => Flavor::CurrentThread,
                "multi_thread" => Flavor::MultiThread,
                other => {
                    errors.error_at(
                        lit.span(),
                        format!(
                            "unknown flavor `{other}`; expected `current_thread` or `multi_thread`"
                        ),
                    );
                    return Ok(());
                }
            };
            let v = SpannedValue {
                value: flavor,
                span: lit.span(),
            };
            if out.flavor.replace(v).is_some() {
                duplicate(errors);
            }
        }
        "workers" | "worker_threads" => {
            let expr = value_expr(meta)?;
            let expected = "expected a number of worker threads, like `workers = 2`";
            let (n, span) = match int_value::<usize>(&expr, expected) {
                Ok(v) => v,
                Err(e) => {
                    errors.push(e);
                    return Ok(());
                }
            };
            if n == 0 {
                errors.error_at(span, "`workers` must be at least 1");
                return Ok(());
            }
            if out
                .workers
                .replace(SpannedValue { value: n, span })
                .is_some()
            {
                duplicate(errors);
            }
        }
        "start_paused" => {
            let expr = value_expr(meta)?;
            let value = match &expr {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Bool(lit),
                    ..
                }) => lit.value,
                other => {
                    errors.error(
                        other,
                        "expected `start_paused = true` or `start_paused = false`",
                    );
                    return Ok(());
                }
            };
            let v = SpannedValue {
                value,
                span: expr.span(),
            };
            if out.start_paused.replace(v).is_some() {
                duplicate(errors);
            }
        }
        "crate" => {
            let value = meta.value()?;
            let krate: Path = if value.peek(LitStr) {
                let lit: LitStr = value.parse()?;
                match lit.parse() {
                    Ok(p) => p,
                    Err(_) => {
                        errors.error_at(
                            lit.span(),
                            "expected a path, like `crate = my_crate::testing`",
                        );
                        return Ok(());
                    }
                }
            } else {
                Path::parse_mod_style(value).map_err(|e| {
                    syn::Error::new(
                        e.span(),
                        "expected a path, like `crate = my_crate::testing`",
                    )
                })?
            };
            if out.krate.replace(krate).is_some() {
                duplicate(errors);
            }
        }
        _ => {
            errors.error(
                path,
                format!("unknown `#[workflow_test]` option `{name}`; expected one of {OPTIONS}"),
            );
            skip_value(meta)?;
        }
    }
    Ok(())
}

/// Checks that the options fit together.
fn check_args(args: &Args, errors: &mut Errors) {
    let multi = matches!(args.flavor, Some(f) if f.value == Flavor::MultiThread);
    if let (Some(w), false) = (args.workers, multi) {
        errors.error_at(
            w.span,
            "`workers` needs the multi-thread runtime; add `flavor = \"multi_thread\"`",
        );
    }
    if let (Some(p), true) = (args.start_paused, multi) {
        if p.value {
            errors.error_at(
                p.span,
                "`start_paused = true` needs the current-thread runtime (tokio can only pause its clock there); remove `flavor = \"multi_thread\"`",
            );
        }
    }
    if let (Some(t), Some(d)) = (args.timeout, args.deadlock) {
        if d.value >= t.value {
            errors.error_at(
                d.span,
                "`deadlock` must be shorter than `timeout`, or the timeout always fires first",
            );
        }
    }
}

fn check_fn(f: &ItemFn, errors: &mut Errors) {
    let sig = &f.sig;
    if sig.asyncness.is_none() {
        errors.error(
            sig.fn_token,
            "the `async` keyword is missing from the function declaration; `#[workflow_test]` runs an `async fn`",
        );
    }
    if let Some(c) = &sig.constness {
        errors.error(c, "a `#[workflow_test]` fn cannot be `const`");
    }
    if let syn::Safety::Unsafe(u) = &sig.safety {
        errors.error(u, "a `#[workflow_test]` fn cannot be `unsafe`");
    }
    if !sig.generics.params.is_empty() {
        errors.error(&sig.generics, "a `#[workflow_test]` fn cannot be generic");
    }
    if let Some(w) = &sig.generics.where_clause {
        errors.error(w, "a `#[workflow_test]` fn cannot have a `where` clause");
    }
    if let Some(v) = &sig.variadic {
        errors.error(v, "a `#[workflow_test]` fn cannot be variadic");
    }
    let mut params = sig.inputs.iter();
    if let Some(first) = params.next() {
        check_param(first, errors);
    }
    for extra in params {
        errors.error(
            extra,
            "a `#[workflow_test]` fn takes at most one parameter, the injected `Harness`",
        );
    }
    for attr in &f.attrs {
        if is_test_attr(attr.path()) {
            errors.error(
                attr,
                "second test attribute is supplied; `#[workflow_test]` already makes this a test, remove this attribute",
            );
        }
    }
}

fn check_param(arg: &FnArg, errors: &mut Errors) {
    match arg {
        FnArg::Receiver(r) => errors.error(r, "a `#[workflow_test]` fn cannot take `self`"),
        FnArg::Typed(t) => {
            if !matches!(&*t.pat, Pat::Ident(_) | Pat::Wild(_)) {
                errors.error(&t.pat, "bind the harness to a name, like `h: Harness`");
            }
            let is_harness = match &*t.ty {
                Type::Path(p) => {
                    p.qself.is_none()
                        && p.path
                            .segments
                            .last()
                            .is_some_and(|s| s.ident == "Harness" && s.arguments.is_none())
                }
                _ => false,
            };
            if !is_harness {
                errors.error(
                    &t.ty,
                    "unsupported parameter type; `#[workflow_test]` can only inject a `Harness` (`h: Harness`)",
                );
            }
        }
    }
}

fn is_test_attr(path: &Path) -> bool {
    let last = path.segments.last().map(|s| s.ident.to_string());
    matches!(last.as_deref(), Some("test" | "workflow_test"))
}

fn expand_fn(item: ItemFn, args: &Args) -> TokenStream {
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
        ..
    } = item;
    let krate = args
        .krate
        .clone()
        .unwrap_or_else(|| syn::parse_quote!(::workflow_test));
    let p = quote!(#krate::__private);
    let name = &sig.ident;
    let span = sig.ident.span();
    let nanos = |v: Option<SpannedValue<u64>>| match v {
        Some(d) => {
            let n = d.value;
            quote!(::core::option::Option::Some(::core::time::Duration::from_nanos(#n)))
        }
        None => quote!(::core::option::Option::None),
    };
    let timeout = nanos(args.timeout);
    let deadlock = nanos(args.deadlock);
    let multi = matches!(args.flavor, Some(f) if f.value == Flavor::MultiThread);
    let flavor = if multi {
        quote!(#p::Flavor::MultiThread)
    } else {
        quote!(#p::Flavor::CurrentThread)
    };
    let workers = match args.workers {
        Some(w) => {
            let n = w.value;
            quote!(::core::option::Option::Some(#n))
        }
        None => quote!(::core::option::Option::None),
    };
    let start_paused = args.start_paused.is_some_and(|p| p.value);
    let call = if sig.inputs.is_empty() {
        quote_spanned!(span=> #name())
    } else {
        quote_spanned!(span=> #name(__workflow_harness))
    };
    // The output is checked at the user's return type, so an unsupported one is
    // reported there.
    let (ret_ty, ret_span) = match &sig.output {
        ReturnType::Default => (quote!(()), span),
        ReturnType::Type(_, ty) => (quote!(#ty), ty.span()),
    };
    let into_outcome = quote_spanned!(ret_span=> #p::into_outcome::<#ret_ty>);
    let body_fn = quote_spanned! {span=>
        |__workflow_harness: #p::Harness| async move { #into_outcome(#call.await) }
    };
    let inner_sig = sig.to_token_stream();
    quote_spanned! {Span::mixed_site()=>
        #(#attrs)*
        #[cfg_attr(test, ::core::prelude::v1::test)]
        #[cfg_attr(not(test), allow(dead_code))]
        #vis fn #name() {
            #inner_sig #block
            #p::run(
                #p::Config {
                    name: ::core::concat!(::core::module_path!(), "::", ::core::stringify!(#name)),
                    timeout: #timeout,
                    deadlock: #deadlock,
                    flavor: #flavor,
                    workers: #workers,
                    start_paused: #start_paused,
                },
                #body_fn,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_str(args: TokenStream, item: TokenStream) -> String {
        expand(args, item).to_string()
    }

    #[test]
    fn expands_into_a_test_fn_with_the_body_inside() {
        let out = expand_str(
            quote!(timeout = "2s", start_paused = true),
            quote!(
                async fn it_works(h: Harness) {
                    let _ = h;
                }
            ),
        );
        assert!(
            out.contains("cfg_attr (test , :: core :: prelude :: v1 :: test)"),
            "{out}"
        );
        assert!(out.contains("async fn it_works"), "{out}");
        assert!(
            out.contains(":: workflow_test :: __private :: run"),
            "{out}"
        );
        assert!(out.contains("from_nanos (2000000000u64)"), "{out}");
        assert!(!out.contains("compile_error"), "{out}");
    }

    #[test]
    fn crate_override_is_used() {
        let out = expand_str(
            quote!(crate = my::reexport),
            quote!(
                async fn t() {}
            ),
        );
        assert!(out.contains("my :: reexport :: __private :: run"), "{out}");
        let out = expand_str(
            quote!(crate = "other"),
            quote!(
                async fn t() {}
            ),
        );
        assert!(out.contains("other :: __private :: run"), "{out}");
    }

    #[test]
    fn errors_keep_the_fn() {
        let out = expand_str(
            quote!(bogus = 1),
            quote!(
                fn t() {}
            ),
        );
        assert!(out.contains("compile_error"), "{out}");
        assert!(out.contains("fn t"), "{out}");
        assert!(
            out.contains("unknown `#[workflow_test]` option `bogus`"),
            "{out}"
        );
    }

    #[test]
    fn option_combinations_are_checked() {
        let out = expand_str(
            quote!(workers = 2),
            quote!(
                async fn t() {}
            ),
        );
        assert!(out.contains("needs the multi-thread runtime"), "{out}");
        let out = expand_str(
            quote!(flavor = "multi_thread", start_paused = true),
            quote!(
                async fn t() {}
            ),
        );
        assert!(out.contains("needs the current-thread runtime"), "{out}");
        let out = expand_str(
            quote!(timeout = "1s", deadlock = "2s"),
            quote!(
                async fn t() {}
            ),
        );
        assert!(out.contains("must be shorter than `timeout`"), "{out}");
    }
}
