//! Expansion helpers shared by the three macros: the path of the runtime crate's
//! `__private` module, policy expressions and span tricks. Generated code names only
//! items under `<crate>::__private`, so the runtime can move its internals freely.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::Path;

use crate::internals::policy::{PolicyArgs, RetryArgs};

/// The default path of the runtime crate.
pub(crate) fn default_crate() -> Path {
    syn::parse_quote!(::workflow_core)
}

/// `#krate::__private`: the only module generated code names.
pub(crate) fn private(krate: &Path) -> TokenStream {
    quote!(#krate::__private)
}

/// Macros of the std prelude (and this crate's own), which a node's ports callback
/// named like the fn would shadow in the fn's module.
const PRELUDE_MACROS: &[&str] = &[
    "assert",
    "assert_eq",
    "assert_ne",
    "bench",
    "cfg",
    "cfg_accessible",
    "cfg_eval",
    "column",
    "compile_error",
    "concat",
    "concat_idents",
    "const_format_args",
    "dbg",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "derive",
    "env",
    "eprint",
    "eprintln",
    "file",
    "format",
    "format_args",
    "format_args_nl",
    "global_allocator",
    "include",
    "include_bytes",
    "include_str",
    "is_x86_feature_detected",
    "line",
    "log_syntax",
    "matches",
    "module_path",
    "node",
    "option_env",
    "panic",
    "print",
    "println",
    "stringify",
    "test",
    "test_case",
    "thread_local",
    "todo",
    "trace_macros",
    "try",
    "unimplemented",
    "unreachable",
    "vec",
    "workflow",
    "workflow_test",
    "write",
    "writeln",
];

/// Whether `#[node]` gives a fn of this name a ports callback (a macro of the same
/// name) and `workflow!` calls it: every name except the prelude macros'.
pub(crate) fn has_ports_callback(name: &syn::Ident) -> bool {
    let name = syn::ext::IdentExt::unraw(name).to_string();
    !PRELUDE_MACROS.contains(&name.as_str())
}

/// `Some(Duration::from_nanos(n))` or `None`.
pub(crate) fn optional_duration(p: &TokenStream, nanos: Option<u64>) -> TokenStream {
    match nanos {
        Some(n) => quote!(#p::Option::Some(#p::Duration::from_nanos(#n))),
        None => quote!(#p::Option::None),
    }
}

/// `tokens` with every span set to `span`, so that an error about generated code that
/// names them lands on the user's token.
pub(crate) fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tt| {
            if let TokenTree::Group(g) = &tt {
                let mut group = proc_macro2::Group::new(g.delimiter(), respan(g.stream(), span));
                group.set_span(span);
                tt = TokenTree::Group(group);
            } else {
                tt.set_span(span);
            }
            tt
        })
        .collect()
}

/// `base` (a `NodePolicy` expression) with the options of `policy` applied:
/// `base.with_timeout(..).with_retry(..).with_execution(Spawn)`. `error_ty` is the
/// node's error type, which a `retry_if` predicate takes.
pub(crate) fn policy(
    policy: &PolicyArgs,
    base: TokenStream,
    p: &TokenStream,
    error_ty: &TokenStream,
) -> TokenStream {
    let mut out = base;
    if let Some(t) = policy.timeout {
        let n = t.value;
        out = quote!(#out.with_timeout(#p::Duration::from_nanos(#n)));
    }
    if let Some(r) = &policy.retry {
        let retry = retry_policy(r, p, error_ty);
        out = quote!(#out.with_retry(#retry));
    }
    if policy.spawn.is_some() {
        out = quote!(#out.with_execution(#p::Execution::Spawn));
    }
    out
}

/// `RetryPolicy::new(max).backoff(..)...` for `retry(..)`.
fn retry_policy(r: &RetryArgs, p: &TokenStream, error_ty: &TokenStream) -> TokenStream {
    let max = r.max.unwrap_or(1);
    let mut out = quote!(#p::RetryPolicy::new(#max));
    if let Some(n) = r.backoff {
        out = quote!(#out.backoff(#p::Duration::from_nanos(#n)));
    }
    if let Some(n) = r.max_backoff {
        out = quote!(#out.max_backoff(#p::Duration::from_nanos(#n)));
    }
    if let Some(n) = r.multiplier {
        out = quote!(#out.multiplier(#n));
    }
    if let Some(on) = r.jitter {
        out = quote!(#out.jitter(#on));
    }
    if let Some(on) = r.retry_timeouts {
        out = quote!(#out.retry_timeouts(#on));
    }
    if let Some(n) = r.total_timeout {
        out = quote!(#out.total_timeout(#p::Duration::from_nanos(#n)));
    }
    if let Some(pred) = &r.retry_if {
        let check = retry_if(pred, p, error_ty);
        out = quote!(#out.retry_if(#check));
    }
    out
}

/// A `fn(&dyn Error) -> bool` that downcasts to the node's error type and calls the
/// user's predicate; spanned at the predicate, so a wrong signature is reported there.
/// The downcast goes through `RetryIfError`, so that an error type that is not a
/// `std::error::Error` (`String`, `anyhow::Error`) is one error saying so, and the answer
/// through `RetryAnswer`, so that a predicate not returning `bool` (an `async fn`) is one
/// error naming the `fn(&E) -> bool` to write.
fn retry_if(pred: &Path, p: &TokenStream, error_ty: &TokenStream) -> TokenStream {
    quote_spanned! {pred.span()=>
        {
            fn __workflow_retry_if(
                error: &(dyn ::std::error::Error + ::core::marker::Send + ::core::marker::Sync + 'static),
            ) -> bool {
                match <#error_ty as #p::RetryIfError>::downcast(error) {
                    ::core::option::Option::Some(error) => #p::RetryAnswer::<#error_ty>::__answer(#pred(error)),
                    ::core::option::Option::None => false,
                }
            }
            __workflow_retry_if
        }
    }
}

/// The key of a port name in `__private::PortType` (64-bit FNV-1a, as
/// `__private::port_key` computes it).
pub(crate) fn port_key(name: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// Whether `tokens` hold the identifier `gen` (or `r#gen`), at any depth.
///
/// Edition 2024 reserves `gen`: a `gen` that the user wrote in a 2024 crate is an error
/// wherever rustc parses it as a name, so generated code naming it must say `r#gen`
/// (see [`raw_gen`]). `r#gen` too: a name made from it by `format_ident!` loses the `r#`.
pub(crate) fn mentions_gen(tokens: &TokenStream) -> bool {
    tokens.clone().into_iter().any(|tt| match tt {
        TokenTree::Ident(ident) => ident == "gen" || ident == "r#gen",
        TokenTree::Group(g) => mentions_gen(&g.stream()),
        TokenTree::Punct(_) | TokenTree::Literal(_) => false,
    })
}

/// `tokens` with every identifier `gen` written `r#gen` (but not a lifetime `'gen` or a
/// metavariable `$gen`).
///
/// A name the user spelled `gen` keeps the user's span, so in an edition-2024 crate each
/// generated use of it would be its own "expected identifier, found reserved keyword
/// `gen`" (five to nine errors for one binding, with the workflow's items lost). `r#gen`
/// is the same identifier in every edition, so the generated code compiles in both, and
/// the one error is rustc's at the user's own declaration: the fn as written by
/// `#[node]`, or [`gen_probe`] for a name declared in `workflow!`.
pub(crate) fn raw_gen(tokens: TokenStream) -> TokenStream {
    let mut after_prefix = false;
    tokens
        .into_iter()
        .map(|tt| {
            let prefixed = std::mem::replace(
                &mut after_prefix,
                matches!(&tt, TokenTree::Punct(p) if p.as_char() == '\'' || p.as_char() == '$'),
            );
            match tt {
                TokenTree::Ident(ident) if ident == "gen" && !prefixed => {
                    TokenTree::Ident(proc_macro2::Ident::new_raw("gen", ident.span()))
                }
                TokenTree::Group(g) => {
                    let mut group = proc_macro2::Group::new(g.delimiter(), raw_gen(g.stream()));
                    group.set_span(g.span());
                    TokenTree::Group(group)
                }
                tt => tt,
            }
        })
        .collect()
}

/// For a name declared in `workflow!` and spelled `gen` (see [`raw_gen`]): a statement
/// naming it as written, which is nothing in editions up to 2021 and, in 2024, rustc's
/// one error at the user's token, "expected identifier, found reserved keyword `gen`",
/// with its hint to write `r#gen`.
pub(crate) fn gen_probe(name: &syn::Ident) -> Option<TokenStream> {
    (*name == "gen").then(|| {
        quote! {
            const _: () = {
                #[allow(unused_variables)]
                let #name: u8 = 0;
            };
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gen_is_raw_everywhere_but_in_lifetimes_and_metavariables() {
        let tokens = quote!(
            struct S<'gen> {
                gen: u8,
                r#gen: u8,
            }
            macro_rules! m {
                ($gen:tt) => {
                    gen($gen)
                };
            }
        );
        assert!(mentions_gen(&tokens));
        assert_eq!(
            raw_gen(tokens).to_string(),
            quote!(
                struct S<'gen> {
                    r#gen: u8,
                    r#gen: u8,
                }
                macro_rules! m {
                    ($gen:tt) => {
                        r#gen($gen)
                    };
                }
            )
            .to_string()
        );
        assert!(!mentions_gen(&quote!(
            fn generate(general: u8) {}
        )));
    }

    #[test]
    fn a_probe_only_for_gen_as_written() {
        let probe = gen_probe(&syn::parse_quote!(gen)).unwrap().to_string();
        assert!(probe.contains("let gen : u8"), "{probe}");
        assert!(gen_probe(&syn::parse_quote!(r#gen)).is_none());
        assert!(gen_probe(&syn::parse_quote!(generate)).is_none());
    }
}
