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
/// `std::error::Error` (`String`, `anyhow::Error`) is one error saying so.
fn retry_if(pred: &Path, p: &TokenStream, error_ty: &TokenStream) -> TokenStream {
    quote_spanned! {pred.span()=>
        {
            fn __workflow_retry_if(
                error: &(dyn ::std::error::Error + ::core::marker::Send + ::core::marker::Sync + 'static),
            ) -> bool {
                match <#error_ty as #p::RetryIfError>::downcast(error) {
                    ::core::option::Option::Some(error) => #pred(error),
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
