//! Policy options shared by `#[node(..)]` and per-binding attributes in `workflow!`:
//! `timeout = "1s"`, `retry(..)`, `spawn`.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{LitStr, Path};

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

/// The value of `key = value`, consumed whole (up to the next `,`), so that parsing can
/// go on after a bad value and report the following options too.
pub(crate) fn value_expr(meta: &ParseNestedMeta<'_>) -> syn::Result<syn::Expr> {
    meta.value()?.parse()
}

/// Skips whatever follows an unknown option (`= value` or `(..)`), so that parsing can go
/// on after it.
pub(crate) fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        value_expr(meta)?;
    } else if meta.input.peek(syn::token::Paren) {
        let _content;
        syn::parenthesized!(_content in meta.input);
    }
    Ok(())
}

/// A string literal value, or an error naming what was expected.
pub(crate) fn str_value(expr: &syn::Expr, expected: &str) -> syn::Result<LitStr> {
    match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(lit),
            ..
        }) => Ok(lit.clone()),
        other => Err(syn::Error::new_spanned(other, expected)),
    }
}

/// An integer literal value, or an error naming what was expected.
pub(crate) fn int_value<N>(expr: &syn::Expr, expected: &str) -> syn::Result<(N, Span)>
where
    N: std::str::FromStr,
    N::Err: std::fmt::Display,
{
    match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(lit),
            ..
        }) => Ok((lit.base10_parse()?, lit.span())),
        other => Err(syn::Error::new_spanned(other, expected)),
    }
}

/// A `bool` literal value.
fn bool_value(expr: &syn::Expr, key: &str) -> syn::Result<bool> {
    match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Bool(lit),
            ..
        }) => Ok(lit.value),
        other => Err(syn::Error::new_spanned(
            other,
            format!("expected `true` or `false` for `{key}`, or just `{key}`"),
        )),
    }
}

/// Parses `key = "250ms"`. A bad duration is recorded in `errors` and gives `Ok(None)`;
/// `Err` only when the tokens cannot be parsed at all.
pub(crate) fn duration_value(
    meta: &ParseNestedMeta<'_>,
    errors: &mut Errors,
) -> syn::Result<Option<SpannedValue<u64>>> {
    let key = path_name(&meta.path);
    let expr = value_expr(meta)?;
    let parsed = str_value(
        &expr,
        &format!(
            "expected a duration string for `{key}`, like `{key} = \"250ms\"` or `{key} = \"2s\"`"
        ),
    )
    .and_then(|lit| {
        let nanos = parse_duration(&lit.value()).map_err(|m| syn::Error::new(lit.span(), m))?;
        Ok(SpannedValue {
            value: nanos,
            span: lit.span(),
        })
    });
    Ok(match parsed {
        Ok(d) => Some(d),
        Err(e) => {
            errors.push(e);
            None
        }
    })
}

/// Parses `key = "250ms"` for a limit that must be positive.
pub(crate) fn positive_duration_value(
    meta: &ParseNestedMeta<'_>,
    errors: &mut Errors,
    zero_message: &str,
) -> syn::Result<Option<SpannedValue<u64>>> {
    Ok(match duration_value(meta, errors)? {
        Some(d) if d.value == 0 => {
            errors.error_at(d.span, zero_message);
            None
        }
        other => other,
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
            let d = positive_duration_value(
                meta,
                errors,
                "a timeout of zero would fail every attempt; use a positive duration like \"1s\"",
            )?;
            if self.timeout.is_some() {
                errors.error(&meta.path, "duplicate `timeout` option; keep only one");
            } else {
                self.timeout = d;
            }
            Ok(true)
        } else if meta.path.is_ident("retry") {
            let retry = RetryArgs::parse(meta, errors)?;
            if self.retry.is_some() {
                errors.error(&meta.path, "duplicate `retry(..)` option; keep only one");
            } else {
                self.retry = Some(retry);
            }
            Ok(true)
        } else if meta.path.is_ident("spawn") {
            if !meta.input.is_empty() && !meta.input.peek(syn::Token![,]) {
                errors.error(&meta.path, "`spawn` takes no value; write just `spawn`");
                skip_value(meta)?;
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
            errors.error(
                &meta.path,
                "`retry` needs its settings in parentheses, like `retry(max = 3, backoff = \"100ms\")`",
            );
            skip_value(meta)?;
            args.max = Some(1);
            return Ok(args);
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
                    let expr = value_expr(&m)?;
                    match int_value::<u32>(&expr, "expected a number of attempts, like `max = 3`") {
                        Ok((0, span)) => {
                            args.max.get_or_insert(1);
                            errors.error_at(
                                span,
                                "`max` counts attempts including the first, so it must be at least 1",
                            );
                        }
                        Ok((n, _)) => dup(errors, args.max.replace(n).is_some()),
                        Err(e) => {
                            // Known but bad: do not also report it as missing.
                            args.max.get_or_insert(1);
                            errors.push(e);
                        }
                    }
                }
                "backoff" => {
                    if let Some(d) = duration_value(&m, errors)? {
                        dup(errors, args.backoff.replace(d.value).is_some());
                    }
                }
                "max_backoff" => {
                    if let Some(d) = duration_value(&m, errors)? {
                        dup(errors, args.max_backoff.replace(d.value).is_some());
                    }
                }
                "total_timeout" => {
                    if let Some(d) = duration_value(&m, errors)? {
                        dup(errors, args.total_timeout.replace(d.value).is_some());
                    }
                }
                "multiplier" => {
                    let expr = value_expr(&m)?;
                    match int_value::<u32>(&expr, "expected a whole number, like `multiplier = 2`") {
                        Ok((0, span)) => errors.error_at(
                            span,
                            "`multiplier` must be at least 1 (1 keeps the delay constant)",
                        ),
                        Ok((n, _)) => dup(errors, args.multiplier.replace(n).is_some()),
                        Err(e) => errors.push(e),
                    }
                }
                "jitter" => match optional_bool(&m) {
                    Ok(on) => dup(errors, args.jitter.replace(on).is_some()),
                    Err(e) => errors.push(e),
                },
                "retry_timeouts" => match optional_bool(&m) {
                    Ok(on) => dup(errors, args.retry_timeouts.replace(on).is_some()),
                    Err(e) => errors.push(e),
                },
                "retry_if" => {
                    let expr = value_expr(&m)?;
                    match expr {
                        syn::Expr::Path(p) if p.qself.is_none() => {
                            dup(errors, args.retry_if.replace(p.path).is_some());
                        }
                        other => errors.error(
                            other,
                            "`retry_if` takes the path of a `fn(&YourError) -> bool`, like `retry_if = is_transient`",
                        ),
                    }
                }
                _ => {
                    errors.error(
                        &m.path,
                        format!("unknown `retry` setting `{key}`; expected one of {RETRY_OPTIONS}"),
                    );
                    skip_value(&m)?;
                }
            }
            Ok(())
        })?;
        if args.max.is_none() {
            errors.error_at(
                args.span,
                "`retry(..)` needs `max = N`, the number of attempts including the first, like `retry(max = 3)`",
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
        let key = path_name(&meta.path);
        bool_value(&value_expr(meta)?, &key)
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
