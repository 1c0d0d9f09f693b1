//! `#[workflow_test]` code generation.
//!
//! Input:
//! ```text
//! #[workflow_test(timeout = "2s")]
//! #[should_panic]
//! async fn name(h: Harness) -> Result<(), E> { body }
//! ```
//! Output:
//! ```text
//! #[should_panic]
//! #[cfg_attr(test, ::core::prelude::v1::test)]  // a plain fn outside test builds,
//! #[cfg_attr(not(test), allow(dead_code))]       // so doc examples can call it
//! fn name() {
//!     async fn name(h: Harness) -> Result<(), E> { body }
//!     ::workflow_test::__private::run(
//!         ::workflow_test::__private::Config { name: .., timeout: Some(..), .. },  // config
//!         |h: Harness| async move {                                              // body_closure
//!             // requires `R: TestOutput`, spanned at `R`.
//!             <Result<(), E> as ::workflow_test::__private::TestOutput>::into_outcome(name(h).await)
//!         },
//!     )
//! }
//! ```

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{ItemFn, ReturnType, Signature};

use super::attr::TestArgs;

/// Expands a checked test fn into a `#[test]` fn that runs it under the harness.
pub(crate) fn expand(item: ItemFn, args: &TestArgs) -> TokenStream {
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
    let p = crate::codegen::private(&krate);
    let name = &sig.ident;
    let config = config(&p, name, args);
    let body = body_closure(&p, &sig);
    let inner_sig = sig.to_token_stream();
    quote_spanned! {Span::mixed_site()=>
        #(#attrs)*
        #[cfg_attr(test, ::core::prelude::v1::test)]
        #[cfg_attr(not(test), allow(dead_code))]
        #vis fn #name() {
            #inner_sig #block
            #p::run(#config, #body)
        }
    }
}

/// `Config { name, timeout, deadlock, flavor, workers, start_paused }`.
fn config(p: &TokenStream, name: &syn::Ident, args: &TestArgs) -> TokenStream {
    let nanos = |v: Option<crate::internals::attr::SpannedValue<u64>>| match v {
        Some(d) => {
            let n = d.value;
            quote!(::core::option::Option::Some(::core::time::Duration::from_nanos(#n)))
        }
        None => quote!(::core::option::Option::None),
    };
    let timeout = nanos(args.timeout);
    let deadlock = nanos(args.deadlock);
    let flavor = if args.is_multi_thread() {
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
    quote_spanned! {Span::mixed_site()=>
        #p::Config {
            name: ::core::concat!(::core::module_path!(), "::", ::core::stringify!(#name)),
            timeout: #timeout,
            deadlock: #deadlock,
            flavor: #flavor,
            workers: #workers,
            start_paused: #start_paused,
        }
    }
}

/// `|h: Harness| async move { <R as TestOutput>::into_outcome(name(h).await) }`. The output is checked
/// at the user's return type `R`, so an unsupported one is reported there.
fn body_closure(p: &TokenStream, sig: &Signature) -> TokenStream {
    let name = &sig.ident;
    let span = name.span();
    let call = if sig.inputs.is_empty() {
        quote_spanned!(span=> #name())
    } else {
        quote_spanned!(span=> #name(__workflow_harness))
    };
    let (ret_ty, ret_span) = match &sig.output {
        ReturnType::Default => (quote!(()), span),
        ReturnType::Type(_, ty) => (quote!(#ty), ty.span()),
    };
    // A trait call, not a generic fn: rustc then adds no "required by a bound in"
    // note naming the hidden module.
    let p_ret = crate::codegen::respan(p.clone(), ret_span);
    let into_outcome = quote_spanned!(ret_span=> <#ret_ty as #p_ret::TestOutput>::into_outcome);
    quote_spanned! {span=>
        |__workflow_harness: #p::Harness| async move { #into_outcome(#call.await) }
    }
}
