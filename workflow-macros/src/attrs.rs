//! Policy options shared by `#[node(..)]` and per-binding attributes in `workflow!`:
//! `timeout = "1s"`, `retry(..)`, `spawn`.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{LitBool, LitInt, LitStr, Path};

use crate::duration::parse_duration;
use crate::errors::Errors;

/// `timeout`, `retry(..)` and `spawn`, as written.
#[derive(Default)]
pub(crate) struct PolicyArgs {
    pub(crate) timeout: Option<SpannedValue<u64>>,
    pub(crate) retry: Option<RetryArgs>,
    pub(crate) spawn: Option<Span>,
}

#[derive(Clone, Copy)]
pub(crate) struct SpannedValue<T> {
    pub(crate) value: T,
    pub(crate) span: Span,
}

pub(crate) struct RetryArgs {
    pub(crate) span: Span,
    max: Option<u32>,
    backoff: Option<u64>,
    max_backoff: Option<u64>,
    multiplier: Option<u32>,
    jitter: Option<bool>,
    retry_if: Option<Path>,
    retry_timeouts: Option<bool>,
    total_timeout: Option<u64>,
}

pub(crate) const RETRY_OPTIONS: &str =
    "`max`, `backoff`, `max_backoff`, `multiplier`, `jitter`, `retry_if`, `retry_timeouts`, `total_timeout`";

/// Parses a duration string literal at `meta` (`key = "250ms"`).
pub(crate) fn duration_value(meta: &ParseNestedMeta<'_>) -> syn::Result<SpannedValue<u64>> {
    let lit: LitStr = meta.value()?.parse().map_err(|e| {
        syn::Error::new(
            e.span(),
            format!(
                "expected a duration string like \"250ms\" or \"2s\" for `{}`",
                path_name(&meta.path)
            ),
        )
    })?;
    let nanos = parse_duration(&lit.value()).map_err(|m| syn::Error::new(lit.span(), m))?;
    Ok(SpannedValue {
        value: nanos,
        span: lit.span(),
    })
}

pub(crate) fn path_name(path: &Path) -> String {
    path.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

impl PolicyArgs {
    /// Tries to parse one policy option; returns `Ok(false)` if `meta` is not one.
    pub(crate) fn parse_option(
        &mut self,
        meta: &ParseNestedMeta<'_>,
        errors: &mut Errors,
    ) -> syn::Result<bool> {
        if meta.path.is_ident("timeout") {
            let d = duration_value(meta)?;
            if d.value == 0 {
                return Err(syn::Error::new(d.span, "a timeout of zero would fail every attempt; use a positive duration like \"1s\""));
            }
            if self.timeout.replace(d).is_some() {
                errors.error(&meta.path, "duplicate `timeout` option; keep only one");
            }
            Ok(true)
        } else if meta.path.is_ident("retry") {
            let retry = RetryArgs::parse(meta, errors)?;
            if self.retry.is_some() {
                errors.error(&meta.path, "duplicate `retry(..)` option; keep only one");
            }
            self.retry = Some(retry);
            Ok(true)
        } else if meta.path.is_ident("spawn") {
            if !meta.input.is_empty() && !meta.input.peek(syn::Token![,]) {
                return Err(meta.error("`spawn` takes no value; write just `spawn`"));
            }
            if self.spawn.replace(meta.path.span()).is_some() {
                errors.error(&meta.path, "duplicate `spawn` option; keep only one");
            }
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// `base` (a `NodePolicy` expression) with these options applied.
    pub(crate) fn apply(
        &self,
        base: TokenStream,
        krate: &Path,
        error_ty: &TokenStream,
    ) -> TokenStream {
        let p = quote!(#krate::__private);
        let mut out = base;
        if let Some(t) = self.timeout {
            let n = t.value;
            out = quote!(#out.with_timeout(#p::Duration::from_nanos(#n)));
        }
        if let Some(r) = &self.retry {
            let retry = r.to_tokens(krate, error_ty);
            out = quote!(#out.with_retry(#retry));
        }
        if self.spawn.is_some() {
            out = quote!(#out.with_execution(#p::Execution::Spawn));
        }
        out
    }
}

impl RetryArgs {
    fn parse(meta: &ParseNestedMeta<'_>, errors: &mut Errors) -> syn::Result<Self> {
        let mut args = Self {
            span: meta.path.span(),
            max: None,
            backoff: None,
            max_backoff: None,
            multiplier: None,
            jitter: None,
            retry_if: None,
            retry_timeouts: None,
            total_timeout: None,
        };
        if !meta.input.peek(syn::token::Paren) {
            return Err(meta.error(
                "`retry` needs its settings in parentheses, like `retry(max = 3, backoff = \"100ms\")`",
            ));
        }
        meta.parse_nested_meta(|m| {
            let key = path_name(&m.path);
            let dup = |errors: &mut Errors, seen: bool| {
                if seen {
                    errors.error(
                        &m.path,
                        format!("duplicate `{key}` in `retry(..)`; keep only one"),
                    );
                }
            };
            match key.as_str() {
                "max" | "max_attempts" => {
                    let lit: LitInt = m.value()?.parse()?;
                    let n: u32 = lit.base10_parse()?;
                    if n == 0 {
                        return Err(syn::Error::new(
                            lit.span(),
                            "`max` counts attempts including the first, so it must be at least 1",
                        ));
                    }
                    dup(errors, args.max.replace(n).is_some());
                }
                "backoff" => {
                    let d = duration_value(&m)?;
                    dup(errors, args.backoff.replace(d.value).is_some());
                }
                "max_backoff" => {
                    let d = duration_value(&m)?;
                    dup(errors, args.max_backoff.replace(d.value).is_some());
                }
                "total_timeout" => {
                    let d = duration_value(&m)?;
                    dup(errors, args.total_timeout.replace(d.value).is_some());
                }
                "multiplier" => {
                    let lit: LitInt = m.value()?.parse()?;
                    let n: u32 = lit.base10_parse()?;
                    if n == 0 {
                        return Err(syn::Error::new(
                            lit.span(),
                            "`multiplier` must be at least 1 (1 keeps the delay constant)",
                        ));
                    }
                    dup(errors, args.multiplier.replace(n).is_some());
                }
                "jitter" => {
                    let on = optional_bool(&m)?;
                    dup(errors, args.jitter.replace(on).is_some());
                }
                "retry_timeouts" => {
                    let on = optional_bool(&m)?;
                    dup(errors, args.retry_timeouts.replace(on).is_some());
                }
                "retry_if" => {
                    let path: Path = m.value()?.parse().map_err(|e| {
                        syn::Error::new(
                            e.span(),
                            "`retry_if` takes the path of a `fn(&YourError) -> bool`",
                        )
                    })?;
                    dup(errors, args.retry_if.replace(path).is_some());
                }
                _ => {
                    return Err(m.error(format!(
                        "unknown `retry` setting `{key}`; expected one of {RETRY_OPTIONS}"
                    )))
                }
            }
            Ok(())
        })?;
        if args.max.is_none() {
            errors.error_at(
                args.span,
                "`retry(..)` needs `max = N`, the number of attempts including the first",
            );
        }
        Ok(args)
    }

    fn to_tokens(&self, krate: &Path, error_ty: &TokenStream) -> TokenStream {
        let p = quote!(#krate::__private);
        let max = self.max.unwrap_or(1);
        let mut out = quote!(#p::RetryPolicy::new(#max));
        if let Some(n) = self.backoff {
            out = quote!(#out.backoff(#p::Duration::from_nanos(#n)));
        }
        if let Some(n) = self.max_backoff {
            out = quote!(#out.max_backoff(#p::Duration::from_nanos(#n)));
        }
        if let Some(n) = self.multiplier {
            out = quote!(#out.multiplier(#n));
        }
        if let Some(on) = self.jitter {
            out = quote!(#out.jitter(#on));
        }
        if let Some(on) = self.retry_timeouts {
            out = quote!(#out.retry_timeouts(#on));
        }
        if let Some(n) = self.total_timeout {
            out = quote!(#out.total_timeout(#p::Duration::from_nanos(#n)));
        }
        if let Some(pred) = &self.retry_if {
            let span = pred.span();
            let check = quote_spanned! {span=>
                {
                    fn __workflow_retry_if(
                        error: &(dyn ::std::error::Error + ::core::marker::Send + ::core::marker::Sync + 'static),
                    ) -> bool {
                        match error.downcast_ref::<#error_ty>() {
                            ::core::option::Option::Some(error) => #pred(error),
                            ::core::option::Option::None => false,
                        }
                    }
                    __workflow_retry_if
                }
            };
            out = quote!(#out.retry_if(#check));
        }
        out
    }
}

/// `jitter` or `jitter = true`.
fn optional_bool(meta: &ParseNestedMeta<'_>) -> syn::Result<bool> {
    if meta.input.peek(syn::Token![=]) {
        let lit: LitBool = meta.value()?.parse()?;
        Ok(lit.value)
    } else {
        Ok(true)
    }
}

/// Parses `crate = path`.
pub(crate) fn crate_path(meta: &ParseNestedMeta<'_>) -> syn::Result<Path> {
    let value = meta.value()?;
    if value.peek(LitStr) {
        let lit: LitStr = value.parse()?;
        lit.parse()
    } else {
        value.parse()
    }
}

/// The default path of the runtime crate.
pub(crate) fn default_crate() -> Path {
    syn::parse_quote!(::workflow_core)
}
