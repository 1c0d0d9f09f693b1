//! `#[node(..)]` options: parsed into [`NodeArgs`].

use proc_macro2::{Span, TokenStream};
use syn::spanned::Spanned;

use crate::internals::attr::{
    crate_path, has_value, int_value, leading_str, path_name, set_once, skip_value,
    unknown_option_hint, value_expr, without_stray_commas,
};
use crate::internals::policy::PolicyArgs;
use crate::internals::Ctxt;

/// Where an option of another attribute that is no `#[node]` option goes, as
/// `; ..`: the workflow's options, a name (a node is named by its binding), and a
/// binding's attributes.
fn misplaced_hint(name: &str) -> Option<&'static str> {
    Some(match name {
        "concurrency" | "deadlock" | "sequential" | "failure" | "durable" => {
            "; it is an option of a workflow, in `workflow!`: `#[workflow(..)]` above its `struct` (and `#[concurrency = N]` / `#[failure = \"..\"]` on a `for` fan-out)"
        }
        "name" | "id" | "label" => {
            "; a node is named by its binding in `workflow!` (`fetch_data = fetch(url)` names it `fetch_data` in reports, traces and outputs)"
        }
        "tags" | "tag" | "labels" | "description" | "desc" | "doc" | "task_run_name" => {
            "; remove it: a node carries no tags or description of its own; describe it with a doc comment (`///`) on the fn, and label what it does in a run with `ctx.emit(..)` (an event of the run's trace)"
        }
        "blocking" | "sync" | "thread" | "in_thread" | "run_in_thread" => {
            "; did you mean `spawn_blocking` (a plain, non-async fn run on tokio's blocking pool)? `spawn` gives an async node a task of its own"
        }
        "cache" | "cached" | "memoize" | "cache_key" | "persist" => {
            "; a node keeps no cache of its own: in a durable workflow (`#[workflow(durable)]`), a resumed or retried run restores each finished node's recorded output instead of running it again"
        }
        "ephemeral" => {
            "; it is an attribute of a binding in `workflow!`, above the call: `#[ephemeral] api = connect(),`"
        }
        "output" => {
            "; it is an attribute of a binding in `workflow!`, above the call: `#[output] page = fetch(url),`"
        }
        "backoff" | "max_backoff" | "multiplier" | "jitter" | "retry_if" | "retry_timeouts"
        | "total_timeout" | "max" => {
            "; it is a setting of `retry(..)`: write it inside, like `#[node(retry(max = 3, backoff = \"100ms\"))]`"
        }
        _ => return None,
    })
}

/// Another library's retry options written as `#[node]` options: Prefect's `retries = 3,
/// retry_delay_seconds = 10`, tenacity's `max_attempts`, a bare `delay`. One mistake,
/// however many of them: collected while parsing, then one error (see
/// [`OtherRetryOptions::report`]) naming the `retry(..)` to write with their values.
#[derive(Default)]
struct OtherRetryOptions {
    /// The options as written, their path and their value (first to last, for the span).
    written: Vec<(syn::Path, Option<syn::Expr>)>,
    /// `max` from a count: `retries = 3` (3 more after the first) is `max = 4`,
    /// `max_attempts = 3` is `max = 3`.
    max: Option<u64>,
    /// `backoff` from a delay: seconds as a number (`10`, `0.5`) or a duration string.
    backoff: Option<String>,
}

/// What an unknown `#[node]` option of another library's retry names: `Some(true)` for a
/// count, `Some(false)` for a delay, `None` for neither.
fn other_retry_kind(name: &str) -> Option<bool> {
    let lower = name.to_ascii_lowercase();
    let delay = ["delay", "interval", "wait", "sleep", "backoff", "pause"]
        .iter()
        .any(|d| lower.contains(d));
    let count = lower.contains("retries")
        || lower.contains("attempt")
        || matches!(
            lower.as_str(),
            "retry_count" | "retry_times" | "retry_limit" | "tries" | "max_tries"
        );
    if delay && (lower.contains("retr") || lower.starts_with("delay")) {
        Some(false)
    } else if count && !delay {
        Some(true)
    } else {
        None
    }
}

impl OtherRetryOptions {
    /// Records `name = value`, one of [`other_retry_kind`]'s.
    fn add(&mut self, path: &syn::Path, name: &str, is_count: bool, value: Option<syn::Expr>) {
        let lower = name.to_ascii_lowercase();
        match (&value, is_count) {
            (Some(e), true) => {
                if let Ok((n, _)) = int_value::<u64>(e, "") {
                    // A count of retries is one less than the attempts.
                    let extra = u64::from(lower.contains("retr") && !lower.contains("attempt"));
                    self.max = Some(n.saturating_add(extra).max(1));
                }
            }
            (Some(e), false) => self.backoff = delay_text(e, &lower),
            (None, _) => {}
        }
        self.written.push((path.clone(), value));
    }

    /// The one error for every option recorded, spanning them all.
    fn report(&self, cx: &Ctxt) {
        let (Some(first), Some(last)) = (self.written.first(), self.written.last()) else {
            return;
        };
        let names: Vec<String> = self
            .written
            .iter()
            .map(|(p, _)| format!("`{}`", path_name(p)))
            .collect();
        let settings: Vec<String> = [
            Some(format!("max = {}", self.max.unwrap_or(3))),
            self.backoff.as_ref().map(|b| format!("backoff = \"{b}\"")),
        ]
        .into_iter()
        .flatten()
        .collect();
        let what = if names.len() == 1 {
            format!("unknown `#[node]` option {}", names[0])
        } else {
            format!("unknown `#[node]` options {}", names.join(" and "))
        };
        let last_path = &last.0;
        let end = match &last.1 {
            Some(e) => quote::quote!(#e),
            None => quote::quote!(#last_path),
        };
        let start = &first.0;
        let backoff_note = if self.backoff.is_some() {
            "; `backoff` is the pause before the second, doubled after each attempt unless `multiplier = 1`"
        } else {
            ""
        };
        cx.error_spanned_by(
            quote::quote!(#start #end),
            format!(
                "{what}; a node's retries are one option: write `retry({})` (`max` counts attempts including the first{backoff_note})",
                settings.join(", ")
            ),
        );
    }
}

/// `10` (seconds), `0.5`, `"10s"` or `"10"` as a duration string; `None` for anything
/// else. A name ending in `_ms` counts milliseconds.
fn delay_text(e: &syn::Expr, name: &str) -> Option<String> {
    let syn::Expr::Lit(syn::ExprLit { lit, .. }) = e else {
        return None;
    };
    let ms = name.ends_with("_ms") || name.ends_with("millis");
    match lit {
        syn::Lit::Int(i) => i.base10_parse::<u64>().ok().map(|n| {
            if ms {
                format!("{n}ms")
            } else {
                format!("{n}s")
            }
        }),
        syn::Lit::Float(f) => f.base10_parse::<f64>().ok().and_then(|x| {
            let millis = if ms { x } else { x * 1000.0 };
            (millis.is_finite() && millis >= 0.0 && millis.fract() == 0.0)
                .then(|| format!("{}ms", millis as u64))
        }),
        syn::Lit::Str(s) => {
            let v = s.value();
            if v.is_empty() {
                None
            } else if v.chars().all(|c| c.is_ascii_digit()) {
                Some(if ms {
                    format!("{v}ms")
                } else {
                    format!("{v}s")
                })
            } else {
                Some(v)
            }
        }
        _ => None,
    }
}

pub(crate) const NODE_OPTIONS: &str =
    "`timeout`, `retry(..)`, `spawn`, `spawn_blocking`, `version`, `crate`";

/// `#[node(..)]` options, as written.
#[derive(Default)]
pub(crate) struct NodeArgs {
    pub(crate) policy: PolicyArgs,
    /// `crate = path`, where `workflow_core` is re-exported.
    pub(crate) krate: Option<syn::Path>,
    /// `spawn_blocking`: a plain (non-async) fn run on tokio's blocking pool.
    pub(crate) blocking: Option<Span>,
    /// `version = N` (N ≥ 1): what durable runs compare a recorded output's version to.
    pub(crate) version: Option<u32>,
    /// `blocking` (or `sync`, ..): other names of `spawn_blocking`, already reported; on
    /// a plain fn they stand for it (see `check::check_options`).
    pub(crate) blocking_other_name: Option<Span>,
}

/// Parses the tokens inside `#[node(..)]`. Every bad option is recorded in `cx`; the
/// valid ones are kept.
pub(crate) fn parse_args(cx: &Ctxt, args: TokenStream) -> NodeArgs {
    let mut out = NodeArgs::default();
    if let Some(lit) = leading_str(&args) {
        // `#[node("fetch_page")]`, a name as Prefect's `@task(name=..)` or Temporal's
        // `@activity.defn(name=..)` take: syn's "expected ident" says nothing of it.
        cx.error_spanned_by(
            lit,
            "`#[node]` takes no name: a node is named by its binding in `workflow!` (`fetch_data = fetch(url)` names it `fetch_data` in reports, traces and outputs); the options it takes are written `key = value`, like `#[node(timeout = \"5s\")]`",
        );
        return out;
    }
    let args = without_stray_commas(cx, args);
    let mut other_retry = OtherRetryOptions::default();
    let parser = syn::meta::parser(|meta| {
        if out.policy.parse_option(&meta, cx)? {
            return Ok(());
        }
        if meta.path.is_ident("spawn_blocking") {
            if has_value(&meta) {
                cx.error_spanned_by(
                    &meta.path,
                    "`spawn_blocking` takes no value; write just `spawn_blocking`",
                );
                return skip_value(&meta);
            }
            if out.blocking.replace(meta.path.span()).is_some() {
                cx.error_spanned_by(
                    &meta.path,
                    "duplicate `spawn_blocking` option; keep only one",
                );
            }
            return Ok(());
        }
        if meta.path.is_ident("version") {
            let expr = value_expr(&meta)?;
            match int_value::<u32>(&expr, "expected a version number, like `version = 2`") {
                Ok((0, span)) => cx.error_at(
                    span,
                    "`version` starts at 1 (a node without `version` is version 1); bump it when the fn computes something else",
                ),
                Ok((n, _)) => set_once(&mut out.version, n, &meta, cx),
                Err(e) => cx.syn_error(e),
            }
            return Ok(());
        }
        if meta.path.is_ident("crate") {
            match crate_path(&meta) {
                Ok(path) => set_once(&mut out.krate, path, &meta, cx),
                Err(e) => cx.syn_error(e),
            }
            return Ok(());
        }
        let name = path_name(&meta.path);
        if matches!(
            name.as_str(),
            "blocking" | "sync" | "thread" | "in_thread" | "run_in_thread"
        ) && !has_value(&meta)
        {
            out.blocking_other_name = Some(meta.path.span());
        }
        if let (None, Some(is_count)) = (misplaced_hint(&name), other_retry_kind(&name)) {
            if !meta.input.peek(syn::token::Paren) {
                let value = if has_value(&meta) {
                    Some(value_expr(&meta)?)
                } else {
                    None
                };
                other_retry.add(&meta.path, &name, is_count, value);
                return Ok(());
            }
        }
        cx.error_spanned_by(
            &meta.path,
            format!(
                "unknown `#[node]` option `{name}`; expected one of {NODE_OPTIONS}{}",
                misplaced_hint(&name)
                    .map(str::to_owned)
                    .unwrap_or_else(|| unknown_option_hint(&name, true, NODE_OPTIONS)),
            ),
        );
        skip_value(&meta)
    });
    if let Err(e) = syn::parse::Parser::parse2(parser, args) {
        cx.syn_error(e);
    }
    other_retry.report(cx);
    out.policy.check(cx);
    out
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    fn messages(args: TokenStream) -> Vec<String> {
        let cx = Ctxt::new();
        parse_args(&cx, args);
        cx.messages()
    }

    #[test]
    fn every_option_error_is_reported_and_valid_options_listed() {
        assert_eq!(
            messages(quote!(
                timeout = 5,
                bogus = "x",
                retry(max = 0, backof = "1s"),
                spawn,
                spawn,
                crate = ::w
            )),
            [
                "expected a duration string with its unit for `timeout`: `timeout = \"5s\"` for 5 second(s), or `timeout = \"5ms\"` for milliseconds",
                "unknown `#[node]` option `bogus`; expected one of `timeout`, `retry(..)`, `spawn`, `spawn_blocking`, `version`, `crate`",
                "`max` counts attempts including the first, so it must be at least 1",
                "unknown `retry` setting `backof`; expected one of `max`, `backoff`, `max_backoff`, `multiplier`, `jitter`, `retry_if`, `retry_timeouts`, `total_timeout`; did you mean `backoff`?",
                "duplicate `spawn` option; keep only one",
            ]
        );
    }

    #[test]
    fn another_librarys_retry_options_are_one_error_naming_the_retry_to_write() {
        // Prefect's pair: 3 retries are 4 attempts; seconds become a duration string.
        assert_eq!(
            messages(quote!(retries = 3, retry_delay_seconds = 10, spawn)),
            ["unknown `#[node]` options `retries` and `retry_delay_seconds`; a node's retries are one option: write `retry(max = 4, backoff = \"10s\")` (`max` counts attempts including the first; `backoff` is the pause before the second, doubled after each attempt unless `multiplier = 1`)"]
        );
        let one = |args: TokenStream| {
            let m = messages(args);
            assert_eq!(m.len(), 1, "{m:?}");
            m[0].clone()
        };
        assert!(one(quote!(max_attempts = 5)).contains("write `retry(max = 5)`"));
        assert!(one(quote!(retries = 2)).contains("write `retry(max = 3)`"));
        assert!(
            one(quote!(retry_delay = 0.5)).contains("write `retry(max = 3, backoff = \"500ms\")`")
        );
        assert!(one(quote!(retry_delay_ms = 250)).contains("backoff = \"250ms\""));
        assert!(one(quote!(delay = "2s")).contains("backoff = \"2s\""));
        // Not a count or a delay: the other hints stay.
        assert!(one(quote!(retry_timeout = 5)).contains("did you mean `timeout"));
        assert!(one(quote!(tags = ["io"])).contains("remove it: a node carries no tags"));
    }

    #[test]
    fn an_option_of_the_workflow_or_a_name_says_where_it_goes() {
        let m = messages(quote!(concurrency = 4, name = "fetch_data"));
        assert_eq!(m.len(), 2, "{m:?}");
        assert!(m[0].ends_with("; it is an option of a workflow, in `workflow!`: `#[workflow(..)]` above its `struct` (and `#[concurrency = N]` / `#[failure = \"..\"]` on a `for` fan-out)"), "{m:?}");
        assert!(
            m[1].contains("; a node is named by its binding in `workflow!`"),
            "{m:?}"
        );
    }

    #[test]
    fn a_name_a_colon_or_brackets_is_one_error_saying_what_to_write() {
        let m = messages(quote!("fetch_page"));
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].starts_with("`#[node]` takes no name: a node is named by its binding"),
            "{m:?}"
        );
        assert_eq!(
            messages(quote!(timeout: "5s", spawn)),
            ["`timeout` takes a duration after `=`, like `timeout = \"5s\"`"]
        );
        assert_eq!(
            messages(quote!(retry[max = 3], spawn)),
            ["`retry` needs its settings in parentheses, like `retry(max = 3, backoff = \"100ms\")`"]
        );
    }

    #[test]
    fn a_zero_total_timeout_is_one_error_like_a_zero_timeout() {
        let m = messages(quote!(retry(max = 3, total_timeout = "0s")));
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].starts_with("a `total_timeout` of zero would end the first attempt at once"),
            "{m:?}"
        );
        // With a `backoff` too, still the one error (not also "not longer than `backoff`").
        assert_eq!(
            messages(quote!(retry(
                max = 3,
                backoff = "1s",
                total_timeout = "0ms"
            ))),
            m
        );
    }

    #[test]
    fn version_is_a_positive_number_given_once() {
        let cx = Ctxt::new();
        assert_eq!(parse_args(&cx, quote!(version = 3)).version, Some(3));
        assert!(!cx.has_errors(), "{:?}", cx.messages());
        assert_eq!(
            messages(quote!(version = 0, version = "2", version = 2, version = 4)),
            [
                "`version` starts at 1 (a node without `version` is version 1); bump it when the fn computes something else",
                "expected a version number, like `version = 2`",
                "duplicate `version` option; keep only one",
            ]
        );
    }

    #[test]
    fn valid_options_are_read() {
        let cx = Ctxt::new();
        let args = parse_args(
            &cx,
            quote!(
                timeout = "1s",
                retry(max = 3, backoff = "10ms", jitter, retry_if = is_transient),
                spawn_blocking,
                crate = "my::core"
            ),
        );
        assert!(!cx.has_errors(), "{:?}", cx.messages());
        assert_eq!(args.policy.timeout.map(|t| t.value), Some(1_000_000_000));
        let retry = args.policy.retry.as_ref().expect("retry");
        assert_eq!(
            (retry.max, retry.backoff, retry.jitter),
            (Some(3), Some(10_000_000), Some(true))
        );
        assert!(retry.retry_if.is_some());
        assert!(args.blocking.is_some() && args.policy.spawn.is_none());
        assert_eq!(
            args.krate.map(|k| quote!(#k).to_string()).as_deref(),
            Some("my :: core")
        );
    }

    #[test]
    fn max_backoff_below_backoff_is_an_error() {
        assert_eq!(
            messages(quote!(retry(max = 3, backoff = "1s", max_backoff = "10ms"))),
            ["`max_backoff` is shorter than `backoff`, so it would cap even the first delay; make `max_backoff` at least `backoff`, or swap them"]
        );
        assert!(messages(quote!(retry(
            max = 3,
            backoff = "10ms",
            max_backoff = "10ms"
        )))
        .is_empty());
        assert!(messages(quote!(retry(max = 3, max_backoff = "10ms"))).is_empty());
    }

    #[test]
    fn another_name_for_the_attempt_count_is_one_error_naming_max() {
        assert_eq!(
            messages(quote!(retry(attempts = 3))),
            ["unknown `retry` setting `attempts`; the number of attempts (including the first) is `max`, like `retry(max = 3)`"]
        );
    }

    #[test]
    fn flags_take_no_value_and_retry_needs_max() {
        assert_eq!(
            messages(quote!(spawn = true, spawn_blocking(x), bogus(a, b), retry(backoff = "1s"))),
            [
                "`spawn` takes no value; write just `spawn`",
                "`spawn_blocking` takes no value; write just `spawn_blocking`",
                "unknown `#[node]` option `bogus`; expected one of `timeout`, `retry(..)`, `spawn`, `spawn_blocking`, `version`, `crate`",
                "`retry(..)` needs `max = N`, the number of attempts including the first, like `retry(max = 3)`",
            ]
        );
    }
}
