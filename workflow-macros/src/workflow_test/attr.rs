//! `#[workflow_test(..)]` options: parsed into [`TestArgs`].

use proc_macro2::TokenStream;
use syn::meta::ParseNestedMeta;
use syn::parse::Parser as _;
use syn::spanned::Spanned;
use syn::{LitStr, Path};

use crate::internals::attr::{
    bool_value, int_value, leading_str, path_name, positive_duration_value, skip_value,
    unknown_option_hint, value_expr, SpannedValue,
};
use crate::internals::Ctxt;

const OPTIONS: &str = "`timeout`, `deadlock`, `flavor`, `workers`, `start_paused`, `crate`";

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    CurrentThread,
    MultiThread,
}

/// `#[workflow_test(..)]` options, as written. Durations are in nanoseconds.
#[derive(Default)]
pub(crate) struct TestArgs {
    pub(crate) timeout: Option<SpannedValue<u64>>,
    pub(crate) deadlock: Option<SpannedValue<u64>>,
    pub(crate) flavor: Option<SpannedValue<Flavor>>,
    pub(crate) workers: Option<SpannedValue<usize>>,
    pub(crate) start_paused: Option<SpannedValue<bool>>,
    pub(crate) krate: Option<Path>,
    /// A `flavor` was written but names neither flavor (already an error): the checks
    /// that depend on the flavor are skipped.
    pub(crate) flavor_unknown: bool,
}

impl TestArgs {
    /// Whether the test runs on tokio's multi-thread runtime.
    pub(crate) fn is_multi_thread(&self) -> bool {
        matches!(self.flavor, Some(f) if f.value == Flavor::MultiThread)
    }
}

/// Parses the tokens inside `#[workflow_test(..)]`. Every bad option is recorded in
/// `cx`; the valid ones are kept.
pub(crate) fn parse_args(cx: &Ctxt, args: TokenStream) -> TestArgs {
    let mut out = TestArgs::default();
    if let Some(lit) = leading_str(&args) {
        // `#[workflow_test("etl works")]`, pytest's or JUnit's display name: syn's
        // "expected ident" said nothing of it.
        cx.error_spanned_by(
            lit,
            format!("`#[workflow_test]` takes no name{TEST_NAME_HINT}"),
        );
        return out;
    }
    let args = crate::internals::attr::without_stray_commas(cx, args);
    let parser = syn::meta::parser(|meta| parse_option(&meta, &mut out, cx));
    if let Err(e) = parser.parse2(args) {
        cx.syn_error(e);
    }
    out
}

/// Where a test's name comes from, after an option or a string that tried to give one.
const TEST_NAME_HINT: &str = "; a test is named by its fn, as `cargo test` lists and filters it: `async fn etl_fetches_every_page(h: Harness)`";

/// Parses one option.
fn parse_option(meta: &ParseNestedMeta<'_>, out: &mut TestArgs, cx: &Ctxt) -> syn::Result<()> {
    let path = &meta.path;
    let name = path_name(path);
    let duplicate = || {
        cx.error_spanned_by(path, format!("duplicate `{name}` option; keep only one"));
    };
    if let Some(example) = example_value(&name) {
        if !meta.input.peek(syn::Token![=]) {
            // Without this, syn says "expected `=`" at the whole attribute.
            cx.error_spanned_by(
                path,
                format!("`{name}` takes a value after `=`, like `{name} = {example}`"),
            );
            skip_value(meta)?;
            return Ok(());
        }
    }
    match name.as_str() {
        "timeout" | "deadlock" => {
            let message = format!("`{name}` must be a positive duration, like \"2s\"");
            let Some(d) = positive_duration_value(meta, cx, &message)? else {
                return Ok(());
            };
            let slot = if name == "timeout" {
                &mut out.timeout
            } else {
                &mut out.deadlock
            };
            if slot.replace(d).is_some() {
                duplicate();
            }
        }
        "flavor" => match parse_flavor(meta, cx)? {
            Ok(flavor) => {
                if out.flavor.replace(flavor).is_some() {
                    duplicate();
                }
            }
            Err(()) => out.flavor_unknown = true,
        },
        "workers" | "worker_threads" => {
            let expr = value_expr(meta)?;
            let expected = "expected a number of worker threads, like `workers = 2`";
            let (n, span) = match int_value::<usize>(&expr, expected) {
                Ok(v) => v,
                Err(e) => {
                    cx.syn_error(e);
                    return Ok(());
                }
            };
            if n == 0 {
                cx.error_at(span, "`workers` must be at least 1");
                return Ok(());
            }
            if out
                .workers
                .replace(SpannedValue { value: n, span })
                .is_some()
            {
                duplicate();
            }
        }
        "start_paused" => {
            let expr = value_expr(meta)?;
            let value = match bool_value(
                &expr,
                "expected `start_paused = true` or `start_paused = false`",
            ) {
                Ok(v) => v,
                Err(e) => {
                    cx.syn_error(e);
                    return Ok(());
                }
            };
            let v = SpannedValue {
                value,
                span: expr.span(),
            };
            if out.start_paused.replace(v).is_some() {
                duplicate();
            }
        }
        "crate" => {
            if let Some(krate) = parse_crate(meta, cx)? {
                if out.krate.replace(krate).is_some() {
                    duplicate();
                }
            }
        }
        _ => {
            cx.error_spanned_by(
                path,
                format!(
                    "unknown `#[workflow_test]` option `{name}`; expected one of {OPTIONS}{}",
                    if matches!(name.to_string().as_str(), "trace" | "tracing" | "traced") {
                        // A trace is the harness's, not the test runtime's.
                        String::from("; traces are the harness's: call `h.set_trace(true)` in the body, then read `h.last_trace()` (a harness of your own: `Harness::builder().trace(true).build()`)")
                    } else if matches!(name.to_string().as_str(), "store" | "durable" | "db" | "database") {
                        String::from("; a store is the harness's: build one in the body, `let h = Harness::builder().store(MemoryStore::new()).build();` (`use workflow_core::store::MemoryStore`), and take no `h` parameter")
                    } else if matches!(name.to_string().as_str(), "harness" | "builder" | "setup" | "fixture" | "runtime") {
                        // A harness of one's own, built with options the injected one lacks.
                        String::from("; a harness with settings of its own is built in the body: `let h = Harness::builder().trace(true).build();` (resources, a store, a concurrency limit likewise), and the test then takes no `h` parameter")
                    } else if matches!(name.to_string().as_str(), "ignore" | "should_panic") {
                        // libtest's own attributes, written as options of tokio's style.
                        format!("; `{name}` is libtest's own attribute: write `#[{name}]` on its own line below `#[workflow_test]`")
                    } else if matches!(name.to_string().as_str(), "parametrize" | "parameterize" | "params" | "parameters" | "cases" | "case" | "values" | "matrix") {
                        // pytest's `@pytest.mark.parametrize`, rstest's `#[case]`.
                        String::from("; a test has no parameters beside its harness: loop over the cases in the body (`for (url, want) in [(\"a\", 1), (\"b\", 2)] { .. }`, each run recorded by `h`), or write a helper `async fn check(h: &Harness, url: &str)` and a `#[workflow_test]` per case that calls it")
                    } else if matches!(name.to_string().as_str(), "name" | "description" | "display_name") {
                        String::from(TEST_NAME_HINT)
                    } else {
                        unknown_option_hint(&name.to_string(), false, OPTIONS)
                    },
                ),
            );
            skip_value(meta)?;
        }
    }
    Ok(())
}

/// An example value of a known option, for the error when its `= value` is missing.
fn example_value(name: &str) -> Option<&'static str> {
    Some(match name {
        "timeout" => "\"5s\"",
        "deadlock" => "\"1s\"",
        "flavor" => "\"multi_thread\"",
        "workers" | "worker_threads" => "2",
        "start_paused" => "true",
        "crate" => "my_crate::testing",
        _ => return None,
    })
}

/// `flavor = "current_thread" | "multi_thread"`.
///
/// A flavor written as a bare word (`flavor = multi_thread`, tokio's own attribute wants a
/// string too) or spelt with a dash (`"multi-thread"`) is an error that still counts as
/// that flavor, so that `workers` next to it is not reported as well. A value naming
/// neither flavor is `Err(())`: the options that depend on the flavor are not checked.
fn parse_flavor(
    meta: &ParseNestedMeta<'_>,
    cx: &Ctxt,
) -> syn::Result<Result<SpannedValue<Flavor>, ()>> {
    let expr = value_expr(meta)?;
    let expected = "expected `flavor = \"current_thread\"` or `flavor = \"multi_thread\"`";
    let (written, span, quoted) = match &expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(lit),
            ..
        }) => (lit.value(), lit.span(), true),
        syn::Expr::Path(p) if p.path.get_ident().is_some() => {
            (path_name(&p.path), expr.span(), false)
        }
        other => {
            cx.error_spanned_by(other, expected);
            return Ok(Err(()));
        }
    };
    let value = match written
        .to_ascii_lowercase()
        .replace(['-', ' '], "_")
        .as_str()
    {
        "current_thread" | "currentthread" => Flavor::CurrentThread,
        "multi_thread" | "multithread" => Flavor::MultiThread,
        _ if !quoted => {
            cx.error_at(span, expected);
            return Ok(Err(()));
        }
        _ => {
            cx.error_at(
                span,
                format!("unknown flavor `{written}`; expected `current_thread` or `multi_thread`"),
            );
            return Ok(Err(()));
        }
    };
    let canonical = match value {
        Flavor::CurrentThread => "current_thread",
        Flavor::MultiThread => "multi_thread",
    };
    if !quoted {
        cx.error_at(
            span,
            format!("the flavor is a string: write `flavor = \"{canonical}\"`"),
        );
    } else if written != canonical {
        cx.error_at(
            span,
            format!("unknown flavor `{written}`; write `\"{canonical}\"`"),
        );
    }
    Ok(Ok(SpannedValue { value, span }))
}

/// `crate = path` or `crate = "path"`.
fn parse_crate(meta: &ParseNestedMeta<'_>, cx: &Ctxt) -> syn::Result<Option<Path>> {
    let value = meta.value()?;
    if value.peek(LitStr) {
        let lit: LitStr = value.parse()?;
        return Ok(match lit.parse() {
            Ok(p) => Some(p),
            Err(_) => {
                cx.error_at(
                    lit.span(),
                    "expected a path, like `crate = my_crate::testing`",
                );
                None
            }
        });
    }
    Path::parse_mod_style(value).map(Some).map_err(|e| {
        syn::Error::new(
            e.span(),
            "expected a path, like `crate = my_crate::testing`",
        )
    })
}
