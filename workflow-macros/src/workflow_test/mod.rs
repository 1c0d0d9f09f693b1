//! `#[workflow_test]`: parse the options (`attr.rs`), check them and the fn
//! (`check.rs`), expand into a `#[test]` fn that runs the body on its own tokio runtime
//! under the watchdogs of `workflow-test` (`expand.rs`).
//!
//! Modeled on tokio-macros `entry.rs`: options are validated here (every misuse is a
//! spanned error), a second test attribute is rejected, and on error the fn is still
//! emitted so IDEs keep working.

mod attr;
mod check;
mod expand;

use proc_macro2::TokenStream;
use quote::quote;
use syn::ItemFn;

use crate::internals::Ctxt;

/// Expands `#[workflow_test(args)] async fn name(h: Harness) -> R { body }`.
pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let parsed = syn::parse2(item.clone()).or_else(|e| {
        // `async fn t(h) { .. }` (Python's `def test(h):`): rustc has said so already
        // ("expected one of `:`, `@`, or `|`"); the test goes on as `h: Harness`, so
        // that is the one error (not also ours, "goes on an `async fn`").
        let krate = attr::parse_args(&Ctxt::new(), args.clone())
            .krate
            .unwrap_or_else(|| syn::parse_quote!(::workflow_test));
        let p = crate::codegen::private(&krate);
        untyped_harness(&item, &quote!(#p::Harness))
            .and_then(|repaired| syn::parse2(repaired).ok())
            .ok_or(e)
    });
    let item_fn: ItemFn = match parsed {
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
    let cx = Ctxt::new();
    let args = attr::parse_args(&cx, args);
    check::check_args(&cx, &args);
    check::check_fn(&cx, &item_fn);
    if cx.has_errors() {
        // The fn as written, so IDEs keep working; its warnings would only be noise next
        // to the errors. Without other test attributes: they would add their own errors.
        let mut item_fn = item_fn;
        item_fn
            .attrs
            .retain(|a| !check::is_test_attr(a.path()) && !check::is_policy_attr(a));
        if item_fn.sig.asyncness.is_none() {
            // A body written for a sync fn (`h.execute(..)` without `.await`) or one with
            // `.await` in a sync fn would each add rustc's errors to "add `async`".
            item_fn.block = syn::parse_quote!({});
        }
        if check::missing_ok_tail(&item_fn).is_some() {
            // Said by `check_fn`; the `Ok(())` it asks for, so rustc adds no E0308.
            item_fn
                .block
                .stmts
                .push(syn::Stmt::Expr(syn::parse_quote!(Ok(())), None));
        }
        // Said by `check_fn`: without the `?`s rustc would report once each.
        check::repair_question_marks(&mut item_fn);
        check::strip_harness_arguments(&mut item_fn);
        if let Some(h) = check::undeclared_harness(&item_fn) {
            // The harness it forgot to take (the body's own `h`, so the body sees it):
            // each use of `h` would be rustc's "cannot find value" too.
            let krate = args
                .krate
                .clone()
                .unwrap_or_else(|| syn::parse_quote!(::workflow_test));
            let p = crate::codegen::private(&krate);
            item_fn.sig.inputs.push(syn::parse_quote!(#h: #p::Harness));
        }
        let errors = cx.to_compile_errors();
        return quote!(#[allow(unused)] #item_fn #errors);
    }
    expand::expand(item_fn, &args)
}

/// `item` with its one parameter, written as a bare name (`async fn t(h)`), typed as
/// `harness`; `None` unless the fn's parameters are exactly one bare name.
fn untyped_harness(item: &TokenStream, harness: &TokenStream) -> Option<TokenStream> {
    use proc_macro2::{Delimiter, Group, TokenTree};
    let mut tokens: Vec<TokenTree> = item.clone().into_iter().collect();
    // The parameters: the first `( .. )` after `fn name` (and any generics).
    let fn_at = tokens
        .iter()
        .position(|t| matches!(t, TokenTree::Ident(i) if i == "fn"))?;
    let params_at = fn_at
        + tokens[fn_at..].iter().position(
            |t| matches!(t, TokenTree::Group(g) if g.delimiter() == Delimiter::Parenthesis),
        )?;
    let TokenTree::Group(params) = &tokens[params_at] else {
        return None;
    };
    let inside: Vec<TokenTree> = params.stream().into_iter().collect();
    let name = match inside.as_slice() {
        [TokenTree::Ident(name)] | [TokenTree::Ident(name), TokenTree::Punct(_)]
            if name != "self" && name != "mut" =>
        {
            name.clone()
        }
        _ => return None,
    };
    let mut typed = Group::new(Delimiter::Parenthesis, quote!(#name: #harness));
    typed.set_span(params.span());
    tokens[params_at] = TokenTree::Group(typed);
    Some(tokens.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parameter_without_a_type_is_the_harness_and_no_error_of_ours() {
        // rustc reports the missing type itself; the test is expanded as `h: Harness`.
        let out = expand_str(
            quote!(),
            quote!(
                async fn t(h) {
                    h.assert_executed("page", 1);
                }
            ),
        );
        assert!(!out.contains("compile_error"), "{out}");
        assert!(out.contains("__private :: Harness"), "{out}");
        // Two bare names, or none, are left as they were: ours says where it goes.
        for item in [
            quote!(async fn t(h, rt) {}),
            quote!(
                struct S;
            ),
        ] {
            let out = expand_str(quote!(), item);
            assert!(out.contains("goes on an `async fn`"), "{out}");
        }
    }

    fn expand_str(args: TokenStream, item: TokenStream) -> String {
        expand(args, item).to_string()
    }

    #[test]
    fn a_retry_attribute_on_the_test_is_one_error_and_is_removed() {
        let out = expand_str(
            quote!(),
            quote!(
                #[retry(max = 3)]
                async fn retries(h: Harness) {
                    let _ = h;
                }
            ),
        );
        assert_eq!(out.matches("compile_error").count(), 1, "{out}");
        assert!(out.contains("`#[retry]` does not go on a test"), "{out}");
        assert!(!out.contains("# [retry"), "{out}");
    }

    #[test]
    fn libtests_attributes_written_as_options_say_where_they_go() {
        for name in ["ignore", "should_panic"] {
            let option: TokenStream = name.parse().unwrap();
            let out = expand_str(
                quote!(#option),
                quote!(
                    async fn t(h: Harness) {
                        let _ = h;
                    }
                ),
            );
            assert_eq!(out.matches("compile_error").count(), 1, "{out}");
            assert!(
                out.contains(&format!(
                    "write `#[{name}]` on its own line below `#[workflow_test]`"
                )),
                "{out}"
            );
        }
    }

    #[test]
    fn pytests_parametrize_says_how_to_run_several_cases() {
        let out = expand_str(
            quote!(parametrize = ["a", "b"]),
            quote!(
                async fn t(h: Harness) {
                    let _ = h;
                }
            ),
        );
        assert_eq!(out.matches("compile_error").count(), 1, "{out}");
        assert!(
            out.contains(
                "a test has no parameters beside its harness: loop over the cases in the body"
            ),
            "{out}"
        );
    }

    #[test]
    fn another_crates_timeout_in_milliseconds_is_left_alone() {
        let out = expand_str(
            quote!(),
            quote!(
                #[timeout(1000)]
                async fn waits(h: Harness) {
                    let _ = h;
                }
            ),
        );
        assert!(!out.contains("compile_error"), "{out}");
        assert!(out.contains("# [timeout (1000)]"), "{out}");
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
    fn a_result_test_without_ok_keeps_its_body_and_gets_the_ok() {
        let out = expand_str(
            quote!(),
            quote!(
                async fn t(h: Harness) -> Result<(), E> {
                    h.work().await?;
                }
            ),
        );
        assert!(out.contains("end its body with `Ok(())`"), "{out}");
        assert!(out.contains("h . work () . await ? ; Ok (())"), "{out}");
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
