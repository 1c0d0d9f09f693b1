//! Parsers for the values of `key = value` options inside attributes, shared by
//! `#[node(..)]`, `#[workflow(..)]`, per-binding attributes and `#[workflow_test(..)]`.
//!
//! Convention: a value that is there but wrong is recorded in the [`Ctxt`] and parsing
//! goes on (so every bad option of one attribute is reported in one pass); `Err` is only
//! for tokens that cannot be parsed at all.

use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
use syn::meta::ParseNestedMeta;
use syn::{LitStr, Path};

use super::duration::parse_duration;
use super::Ctxt;

/// A parsed option value with the span of its literal, for errors about combinations.
#[derive(Clone, Copy)]
pub(crate) struct SpannedValue<T> {
    pub(crate) value: T,
    pub(crate) span: Span,
}

/// `a::b` as text.
pub(crate) fn path_name(path: &Path) -> String {
    path.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

/// What an unknown option most likely meant, as `; did you mean ..?`: for the names a
/// user of other libraries writes (`retries`, `max_attempts`, `timeout_ms`, ..), else the
/// closest of `options` (the message's list, like `` `timeout`, `retry(..)` ``) to a
/// misspelt one (`timout`); empty when nothing fits. `retry` says whether the attribute
/// has a `retry(..)` option.
pub(crate) fn unknown_option_hint(name: &str, retry: bool, options: &str) -> String {
    let lower = name.to_ascii_lowercase();
    if lower.contains("deadlock") && options.contains("`deadlock`") {
        // The guide's `with_deadlock_detection(timeout=5.0)`.
        "; did you mean `deadlock = \"5s\"` (a run in which no node makes progress for that long fails with a deadlock; tracked waits are found at once)?".into()
    } else if lower.contains("parallel") && options.contains("`concurrency`") {
        // The guide's `with_parallel_execution()`.
        "; independent nodes already run concurrently, so remove it (`concurrency = N` limits how many run at once, `sequential` runs one at a time)".into()
    } else if lower.contains("timeout") || lower.contains("deadline") {
        "; did you mean `timeout = \"500ms\"` (a duration string with its unit)?".into()
    } else if retry && (lower.contains("retr") || lower.contains("attempt")) {
        "; did you mean `retry(max = 3)` (`max` counts attempts including the first)?".into()
    } else {
        closest_option(name, options)
            .map(|o| format!("; did you mean `{o}`?"))
            .unwrap_or_default()
    }
}

/// The option of a message's list (`` `timeout`, `retry(..)`, `#[concurrency = N]` ``)
/// closest to a misspelt `name`, by its name alone (`retry`, `concurrency`).
pub(crate) fn closest_option(name: &str, options: &str) -> Option<String> {
    let names: Vec<String> = options
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|o| {
            o.trim_start_matches("#[")
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|o| !o.is_empty() && o != name)
        .collect();
    crate::internals::suggest::closest(name, &names).map(str::to_owned)
}

/// The value of `key = value`, consumed whole (up to the next `,`), so that parsing can
/// go on after a bad value and report the following options too.
pub(crate) fn value_expr(meta: &ParseNestedMeta<'_>) -> syn::Result<syn::Expr> {
    meta.value()?.parse()
}

/// Skips whatever follows an option (`= value` or `(..)`), so that parsing can go on
/// after an unknown or malformed one.
pub(crate) fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        value_expr(meta)?;
    } else if meta.input.peek(syn::Token![:]) && !meta.input.peek(syn::Token![::]) {
        // `timeout: "5s"`, the value written the struct-literal way: reported by the
        // option, and consumed here, or syn adds "expected `,`" at the `:`.
        meta.input.parse::<syn::Token![:]>()?;
        meta.input.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren)
        || meta.input.peek(syn::token::Bracket)
        || meta.input.peek(syn::token::Brace)
    {
        // Consumed, or syn reports the unread tokens as a second, confusing error
        // (`retry[max = 3]` too).
        meta.input.parse::<proc_macro2::TokenTree>()?;
    }
    Ok(())
}

/// The string literal an attribute's arguments start with, if they do: a name given the
/// way other tools take one (`#[node("fetch_page")]`, `#[workflow_test("etl works")]`).
pub(crate) fn leading_str(args: &proc_macro2::TokenStream) -> Option<proc_macro2::Literal> {
    match args.clone().into_iter().next()? {
        proc_macro2::TokenTree::Literal(lit) if lit.to_string().starts_with('"') => Some(lit),
        _ => None,
    }
}

/// The tokens of an attribute's options with every `,` that follows another (`max = 3,,`)
/// or opens a list (`retry(, max = 3)`) removed, each reported once as "remove this
/// `,`" (syn's "unexpected token in nested attribute, expected ident" said neither what
/// nor where), so the options around it are still read. Lists nested in `(..)` are
/// cleaned too; `[..]` and `{..}` are values, left as written.
pub(crate) fn without_stray_commas(cx: &Ctxt, tokens: TokenStream) -> TokenStream {
    let mut out = TokenStream::new();
    let mut after_separator = true;
    for t in tokens {
        match t {
            TokenTree::Punct(p) if p.as_char() == ',' && after_separator => {
                cx.error_at(
                    p.span(),
                    "remove this `,`: one `,` separates two options (`timeout = \"5s\", retry(max = 3)`)",
                );
                continue;
            }
            TokenTree::Punct(ref p) if p.as_char() == ',' => after_separator = true,
            TokenTree::Group(g) if g.delimiter() == Delimiter::Parenthesis => {
                let mut cleaned =
                    Group::new(Delimiter::Parenthesis, without_stray_commas(cx, g.stream()));
                cleaned.set_span(g.span());
                out.extend([TokenTree::Group(cleaned)]);
                after_separator = false;
                continue;
            }
            _ => after_separator = false,
        }
        out.extend([t]);
    }
    out
}

/// Whether a flag option (`spawn`, `sequential`) has a value after it.
pub(crate) fn has_value(meta: &ParseNestedMeta<'_>) -> bool {
    !meta.input.is_empty() && !meta.input.peek(syn::Token![,])
}

/// A flag option that takes no value: a value is an error (`{key}` takes no value) and
/// is skipped.
pub(crate) fn flag(meta: &ParseNestedMeta<'_>, cx: &Ctxt) -> syn::Result<()> {
    if has_value(meta) {
        let key = path_name(&meta.path);
        cx.error_spanned_by(
            &meta.path,
            format!("`{key}` takes no value; write just `{key}`"),
        );
        skip_value(meta)?;
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

/// An integer literal value and its span, or an error naming what was expected.
pub(crate) fn int_value<N>(expr: &syn::Expr, expected: &str) -> syn::Result<(N, Span)>
where
    N: std::str::FromStr,
    N::Err: std::fmt::Display,
{
    match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(lit),
            ..
        }) => match lit.base10_parse() {
            Ok(n) => Ok((n, lit.span())),
            Err(e) => Err(
                match too_large(lit.base10_digits(), std::any::type_name::<N>()) {
                    Some(message) => syn::Error::new(lit.span(), format!("{message}; {expected}")),
                    None => e,
                },
            ),
        },
        other => Err(syn::Error::new_spanned(other, expected)),
    }
}

/// "`digits` is too large: at most N (a `u32`)", for a number that does not fit the
/// option's integer type (syn said "number too large to fit in target type", naming
/// neither the type nor its limit); `None` when it is not that.
fn too_large(digits: &str, ty: &str) -> Option<String> {
    let max = match ty {
        "u32" => u128::from(u32::MAX),
        "u64" => u128::from(u64::MAX),
        "usize" => usize::MAX as u128,
        _ => return None,
    };
    // Digits beyond `u128` are too large for every type here too.
    let fits = digits.parse::<u128>().is_ok_and(|n| n <= max);
    (!fits).then(|| format!("`{digits}` is too large: this option is a `{ty}`, at most {max}"))
}

/// A number literal (`2` or `1.5`) as `f64`, or an error with the given message.
pub(crate) fn number_value(expr: &syn::Expr, expected: &str) -> syn::Result<(f64, Span)> {
    match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(lit),
            ..
        }) => Ok((lit.base10_parse::<u32>()?.into(), lit.span())),
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Float(lit),
            ..
        }) => Ok((lit.base10_parse()?, lit.span())),
        other => Err(syn::Error::new_spanned(other, expected)),
    }
}

/// A `bool` literal value, or an error with the given message.
pub(crate) fn bool_value(expr: &syn::Expr, expected: &str) -> syn::Result<bool> {
    match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Bool(lit),
            ..
        }) => Ok(lit.value),
        other => Err(syn::Error::new_spanned(other, expected)),
    }
}

/// `key` or `key = true|false`.
pub(crate) fn optional_bool(meta: &ParseNestedMeta<'_>) -> syn::Result<bool> {
    if meta.input.peek(syn::Token![=]) {
        let key = path_name(&meta.path);
        bool_value(
            &value_expr(meta)?,
            &format!("expected `true` or `false` for `{key}`, or just `{key}`"),
        )
    } else {
        Ok(true)
    }
}

/// Parses `key = "250ms"` into nanoseconds. A bad duration is recorded in `cx` and gives
/// `Ok(None)`.
/// What to write for `backoff = "exponential"` (a strategy's name, as other retry
/// libraries spell it) where a duration goes: `None` for other keys and values.
pub(crate) fn backoff_strategy(key: &str, value: &str) -> Option<String> {
    let word = value.trim().to_ascii_lowercase();
    let growth = match word.as_str() {
        "exp" | "expo" | "exponential" | "exponential_backoff" | "doubling" => {
            "it is exponential already (the delay doubles after each retry, unless `multiplier` says otherwise)"
        }
        "linear" | "fixed" | "constant" | "const" | "none" => {
            "the delay doubles after each retry unless `multiplier = 1` keeps it constant"
        }
        "fibonacci" | "jitter" | "random" | "full_jitter" => {
            "the delay doubles after each retry (`multiplier` changes the factor; `jitter` randomizes each delay)"
        }
        _ => return None,
    };
    (key == "backoff" || key == "max_backoff").then(|| {
        format!("`{key}` is a duration, not a strategy: write `{key} = \"100ms\"`, the delay before the first retry; {growth}")
    })
}

pub(crate) fn duration_value(
    meta: &ParseNestedMeta<'_>,
    cx: &Ctxt,
) -> syn::Result<Option<SpannedValue<u64>>> {
    let key = path_name(&meta.path);
    if !meta.input.peek(syn::Token![=]) {
        // `timeout("1s")` or a bare `timeout`: say the form rather than "expected `=`",
        // with the duration written in the parentheses (`timeout(5s)` → `"5s"`).
        let example = written_duration(meta.input).unwrap_or_else(|| "250ms".to_owned());
        cx.error_spanned_by(
            &meta.path,
            format!("`{key}` takes a duration after `=`, like `{key} = \"{example}\"`"),
        );
        skip_value(meta)?;
        return Ok(None);
    }
    let expr = value_expr(meta)?;
    let parsed = str_value(&expr, &duration_expected(&key, &expr)).and_then(|lit| {
        let nanos = parse_duration(&lit.value()).map_err(|m| {
            syn::Error::new(
                lit.span(),
                backoff_strategy(&key, &lit.value()).unwrap_or(m),
            )
        })?;
        Ok(SpannedValue {
            value: nanos,
            span: lit.span(),
        })
    });
    Ok(parsed.map_err(|e| cx.syn_error(e)).ok())
}

/// The duration written in the parentheses ahead, `("5s")` or `(5s)` (a literal with a
/// unit suffix), if it is one literal that parses as a duration.
fn written_duration(input: syn::parse::ParseStream<'_>) -> Option<String> {
    fn written_lit(ahead: syn::parse::ParseStream<'_>) -> syn::Result<syn::Lit> {
        if ahead.peek(syn::Token![:]) && !ahead.peek(syn::Token![::]) {
            // `timeout: "5s"`.
            ahead.parse::<syn::Token![:]>()?;
            return ahead.parse();
        }
        let content;
        syn::parenthesized!(content in ahead);
        let lit = content.parse()?;
        content.parse::<syn::parse::Nothing>()?;
        Ok(lit)
    }
    let text = match written_lit(&input.fork()).ok()? {
        syn::Lit::Str(s) => s.value(),
        other => quote::ToTokens::to_token_stream(&other).to_string(),
    };
    parse_duration(&text).ok().map(|_| text)
}

/// The error for a duration that is not a string: the string it most likely meant, for
/// a number (the guide's `with_timeout(1.0)` is in seconds; an integer has no unit to
/// guess from, so both are named) and for a `Duration` constructor (`from_secs(2)`).
fn duration_expected(key: &str, expr: &syn::Expr) -> String {
    let generic = format!(
        "expected a duration string for `{key}`, like `{key} = \"250ms\"` or `{key} = \"2s\"`"
    );
    let literal_int = |e: &syn::Expr| match e {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(i),
            ..
        }) => i.base10_parse::<u64>().ok(),
        _ => None,
    };
    match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(i),
            ..
        }) => match i.base10_parse::<u64>() {
            Ok(n) => format!(
                "expected a duration string with its unit for `{key}`: `{key} = \"{n}s\"` for {n} second(s), or `{key} = \"{n}ms\"` for milliseconds"
            ),
            Err(_) => generic,
        },
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Float(f),
            ..
        }) => match f.base10_parse::<f64>() {
            Ok(secs) if secs >= 0.0 && secs.is_finite() => {
                let ms = secs * 1000.0;
                let text = if secs.fract() == 0.0 {
                    format!("{}s", secs as u64)
                } else if ms.fract() == 0.0 {
                    format!("{}ms", ms as u64)
                } else {
                    format!("{}us", (secs * 1_000_000.0).round() as u64)
                };
                let seconds = if secs == 1.0 { "second" } else { "seconds" };
                format!(
                    "expected a duration string with its unit for `{key}`: `{key} = \"{text}\"` for {secs} {seconds}"
                )
            }
            _ => generic,
        },
        syn::Expr::Call(call) => {
            let ctor = match &*call.func {
                syn::Expr::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
                _ => None,
            };
            let unit = match ctor.as_deref() {
                Some("from_secs") => "s",
                Some("from_millis") => "ms",
                Some("from_micros") => "us",
                Some("from_nanos") => "ns",
                _ => return generic,
            };
            match (call.args.len(), call.args.first().and_then(literal_int)) {
                (1, Some(n)) => format!(
                    "expected a duration string for `{key}`, not a `Duration`: write `{key} = \"{n}{unit}\"`"
                ),
                _ => generic,
            }
        }
        _ => generic,
    }
}

/// Parses `key = "250ms"` for a limit that must be positive; zero is recorded in `cx`
/// with `zero_message`.
pub(crate) fn positive_duration_value(
    meta: &ParseNestedMeta<'_>,
    cx: &Ctxt,
    zero_message: &str,
) -> syn::Result<Option<SpannedValue<u64>>> {
    Ok(match duration_value(meta, cx)? {
        Some(d) if d.value == 0 => {
            cx.error_at(d.span, zero_message);
            None
        }
        other => other,
    })
}

/// Parses `crate = path` or `crate = "path"`.
pub(crate) fn crate_path(meta: &ParseNestedMeta<'_>) -> syn::Result<Path> {
    let value = meta.value()?;
    if value.peek(LitStr) {
        let lit: LitStr = value.parse()?;
        lit.parse()
    } else {
        value.parse()
    }
}

/// Stores `value` in `slot`, or reports `duplicate `{key}` option` at `meta`'s path.
pub(crate) fn set_once<T>(slot: &mut Option<T>, value: T, meta: &ParseNestedMeta<'_>, cx: &Ctxt) {
    if slot.is_some() {
        cx.error_spanned_by(
            &meta.path,
            format!(
                "duplicate `{}` option; keep only one",
                path_name(&meta.path)
            ),
        );
    } else {
        *slot = Some(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expected(expr: proc_macro2::TokenStream) -> String {
        duration_expected("timeout", &syn::parse2(expr).unwrap())
    }

    #[test]
    fn a_backoff_strategys_name_says_what_backoff_is() {
        let exp = backoff_strategy("backoff", "exponential").expect("a strategy");
        assert!(
            exp.starts_with("`backoff` is a duration, not a strategy: write `backoff = \"100ms\"`"),
            "{exp}"
        );
        assert!(exp.contains("exponential already"), "{exp}");
        let constant = backoff_strategy("max_backoff", "Constant").expect("a strategy");
        assert!(
            constant.contains("`multiplier = 1` keeps it constant"),
            "{constant}"
        );
        // Other words, and other keys, keep the duration parser's own message.
        assert_eq!(backoff_strategy("backoff", "soon"), None);
        assert_eq!(backoff_strategy("timeout", "exp"), None);
    }

    #[test]
    fn a_duration_that_is_not_a_string_names_the_string_meant() {
        assert!(expected(quote::quote!(1.0)).ends_with("`timeout = \"1s\"` for 1 second"));
        assert!(expected(quote::quote!(0.25)).ends_with("`timeout = \"250ms\"` for 0.25 seconds"));
        assert!(expected(quote::quote!(5)).ends_with(
            "`timeout = \"5s\"` for 5 second(s), or `timeout = \"5ms\"` for milliseconds"
        ));
        assert!(expected(quote::quote!(Duration::from_millis(500)))
            .ends_with("not a `Duration`: write `timeout = \"500ms\"`"));
        assert!(expected(quote::quote!(std::time::Duration::from_secs(2)))
            .ends_with("write `timeout = \"2s\"`"));
        let generic = "expected a duration string for `timeout`, like `timeout = \"250ms\"` or `timeout = \"2s\"`";
        assert_eq!(expected(quote::quote!(TIMEOUT)), generic);
        assert_eq!(expected(quote::quote!(Duration::from_secs(n))), generic);
    }

    #[test]
    fn a_number_too_large_names_its_type_and_limit() {
        assert_eq!(
            too_large("100000000000", "u32").as_deref(),
            Some("`100000000000` is too large: this option is a `u32`, at most 4294967295")
        );
        assert_eq!(too_large("4294967295", "u32"), None);
        assert!(too_large("999999999999999999999999999999999999999999", "u64").is_some());
        assert_eq!(too_large("5", "i8"), None);
        let e = int_value::<u32>(
            &syn::parse_quote!(100000000000),
            "expected a number of attempts, like `max = 3`",
        )
        .err()
        .map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("`100000000000` is too large: this option is a `u32`, at most 4294967295; expected a number of attempts, like `max = 3`")
        );
    }

    fn cleaned(tokens: proc_macro2::TokenStream) -> (String, Vec<String>) {
        let cx = Ctxt::new();
        let out = without_stray_commas(&cx, tokens).to_string();
        (out, cx.messages())
    }

    #[test]
    fn a_doubled_or_leading_comma_is_removed_and_said_once_each() {
        let (out, errors) = cleaned(quote::quote!(timeout = "1s", retry(max = 3,,)));
        assert_eq!(
            out,
            quote::quote!(timeout = "1s", retry(max = 3,)).to_string()
        );
        assert_eq!(errors.len(), 1);
        assert!(errors[0].starts_with("remove this `,`"));
        let (out, errors) = cleaned(quote::quote!(, spawn,, retry(, max = 2)));
        assert_eq!(out, quote::quote!(spawn, retry(max = 2)).to_string());
        assert_eq!(errors.len(), 3);
        // One `,` between options, or one at the end, is left alone.
        let (_, errors) = cleaned(quote::quote!(timeout = "1s", retry(max = 3,),));
        assert!(errors.is_empty());
        // A value's own brackets are not a list of options.
        let (out, _) = cleaned(quote::quote!(x = [1,,2]));
        assert_eq!(out, quote::quote!(x = [1,,2]).to_string());
    }

    #[test]
    fn the_guides_builder_names_point_at_the_options() {
        let opts = "`timeout`, `deadlock`, `sequential`, `concurrency`";
        assert!(unknown_option_hint("deadlock_detection", false, opts)
            .starts_with("; did you mean `deadlock = \"5s\"`"));
        assert!(unknown_option_hint("parallel_execution", false, opts)
            .starts_with("; independent nodes already run concurrently"));
        // Where there is no such option, no such hint.
        assert!(!unknown_option_hint("parallel", false, "`timeout`").contains("concurrently"));
    }
}
