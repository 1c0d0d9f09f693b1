//! `#[node]`: parse (`attr.rs`, `ast.rs`) → check (`check.rs`) → expand (`expand.rs`).

mod ast;
mod attr;
mod check;
mod expand;
mod stand_in;

use proc_macro2::TokenStream;
use quote::quote;

use crate::internals::Ctxt;

/// Expands `#[node(args)] item`. On error the fn is still emitted unchanged, next to the
/// errors, so it stays callable and IDEs keep working. When only the options are wrong,
/// the node is emitted too (with the valid options), so workflows using it add no errors;
/// when the fn's shape is wrong, so is a stand-in node of the fn as the errors say to
/// write it (`stand_in.rs`), when that can be guessed.
pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut item_fn: syn::ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(e) => {
            let e = syn::Error::new(
                e.span(),
                "`#[node]` goes on an `async fn`, like `#[node] async fn fetch(url: String) -> Page { .. }`",
            );
            let err = e.to_compile_error();
            return quote!(#item #err);
        }
    };
    let cx = Ctxt::new();
    check::take_second_node_attr(&cx, &mut item_fn);
    check::take_option_attrs(&cx, &mut item_fn);
    let mut node_args = attr::parse_args(&cx, args);
    let node = ast::NodeFn::from_item(&item_fn);
    check::check_options(&cx, &item_fn, &node, &mut node_args);
    let option_errors = cx.error_count();
    check::check_fn(&cx, &item_fn, &node, &node_args);
    // A `Res` without exactly one type is rustc's error (see `check_param`); the fn is
    // emitted as written, for rustc to report it, with a stand-in node whose resource
    // is of an unknown type (so a workflow calling it adds no "cannot find macro").
    let malformed_resource = node
        .params
        .iter()
        .any(|p| matches!(p.kind, ast::ParamKind::MalformedResource));
    let fn_is_usable = cx.error_count() == option_errors
        && !malformed_resource
        && !check::output_lifetime_is_rustcs_error(&item_fn.sig);
    if !fn_is_usable {
        let ours = cx.has_errors();
        let errors = cx.to_compile_errors();
        // The node as the errors say to write it, so that a workflow calling the fn
        // adds no error of its own (rustc's "cannot find macro"); the errors go with it.
        let (errors_const, unknown) = expand::errors_const(&item_fn, &node_args);
        let fixed = stand_in::repair(&item_fn, &node_args, &unknown);
        return match fixed {
            Some(fixed) => {
                expand::stand_in(&item_fn, &fixed, &node_args, (&errors_const, errors, ours))
            }
            None => quote!(#item_fn #errors),
        };
    }
    let node = match check::undeclared_context(&item_fn, &node) {
        // The context it forgot to take, added under the body's own name so that the
        // body compiles (each use would be rustc's "cannot find value" too) and the node
        // is emitted: one error, at the first use.
        Some(ctx) => {
            cx.error_spanned_by(
                &ctx,
                format!(
                    "`{ctx}` is not a parameter of `{name}`: add `{ctx}: &Context` to its parameters; the runtime passes each node its context (it is not a port)",
                    name = item_fn.sig.ident
                ),
            );
            let p = crate::codegen::private(
                &node_args
                    .krate
                    .clone()
                    .unwrap_or_else(crate::codegen::default_crate),
            );
            item_fn
                .sig
                .inputs
                .push(syn::parse_quote!(#ctx: &#p::Context));
            ast::NodeFn::from_item(&item_fn)
        }
        None => node,
    };
    check::check_send(&cx, &node);
    // Only option errors (and `check_send`'s) are left: they go with the node.
    let errors = cx.has_errors().then(|| cx.to_compile_errors());
    expand::expand(&item_fn, &node, &node_args, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_str(args: TokenStream, item: TokenStream) -> String {
        expand(args, item).to_string()
    }

    #[test]
    fn keeps_the_fn_and_adds_a_ports_struct() {
        let out = expand_str(
            quote!(),
            quote!(
                async fn parse(raw: String, n: u32) -> u32 {
                    n
                }
            ),
        );
        assert!(out.contains("async fn parse"));
        assert!(out.contains("struct parse"));
        assert!(out.contains("const PORTS"));
        assert!(!out.contains("compile_error"));
    }

    #[test]
    fn only_a_fn_of_ports_alone_is_given_no_context() {
        let reads_context =
            |item| !expand_str(quote!(), item).contains("const CONTEXT : bool = false");
        assert!(!reads_context(quote!(
            async fn f(a: u8, b: String) -> u8 {
                a
            }
        )));
        assert!(reads_context(quote!(
            async fn f(a: u8, ctx: &Context) -> u8 {
                a
            }
        )));
        assert!(reads_context(quote!(
            async fn f(a: u8, db: Res<Db>) -> u8 {
                a
            }
        )));
    }

    #[test]
    fn a_context_used_but_not_taken_is_one_error_and_the_parameter_is_added() {
        let out = expand_str(
            quote!(),
            quote!(
                async fn pay(total: u32) -> u32 {
                    ctx.emit("paying");
                    ctx.emit("again");
                    total
                }
            ),
        );
        assert_eq!(out.matches("compile_error").count(), 1, "{out}");
        assert!(out.contains("add `ctx: &Context`"), "{out}");
        assert!(
            out.contains("ctx : & :: workflow_core :: __private :: Context"),
            "{out}"
        );
        assert!(out.contains("struct pay"), "{out}");
        // A name the body binds itself, or a fn that takes its context, is not one.
        for item in [
            quote!(
                async fn pay(total: u32) -> u32 {
                    let ctx = Tracker::new();
                    ctx.emit("paying");
                    total
                }
            ),
            quote!(
                async fn pay(total: u32, c: &Context) -> u32 {
                    c.emit("paying");
                    total
                }
            ),
            quote!(
                async fn pay(total: u32, tx: Sender) -> u32 {
                    tx.signal();
                    total
                }
            ),
        ] {
            let out = expand_str(quote!(), item);
            assert!(!out.contains("compile_error"), "{out}");
        }
    }

    #[test]
    fn a_second_node_attribute_is_one_error_and_the_node_is_emitted_once() {
        let out = expand_str(
            quote!(),
            quote!(
                #[node(timeout = "1s")]
                async fn parse(raw: String) -> usize {
                    raw.len()
                }
            ),
        );
        assert_eq!(out.matches("compile_error").count(), 1, "{out}");
        assert!(out.contains("is on this fn twice"), "{out}");
        assert_eq!(out.matches("struct parse").count(), 1, "{out}");
        assert!(!out.contains("# [node"), "{out}");
    }

    #[test]
    fn a_retry_attribute_under_node_says_to_make_it_an_option_and_the_node_is_emitted() {
        let out = expand_str(
            quote!(),
            quote!(
                #[retry(max = 3, backoff = "100ms")]
                async fn fetch(url: String) -> Result<usize, E> {
                    Ok(url.len())
                }
            ),
        );
        assert_eq!(out.matches("compile_error").count(), 1, "{out}");
        assert!(
            out.contains(r#"write `#[node(retry(max = 3, backoff = \"100ms\"))]`"#),
            "{out}"
        );
        assert!(out.contains("struct fetch"), "{out}");
        assert!(!out.contains("# [retry"), "{out}");
    }

    #[test]
    fn a_timeout_attribute_under_node_says_the_option_with_its_duration() {
        let out = expand_str(
            quote!(),
            quote!(
                #[timeout("2s")]
                async fn fetch(url: String) -> usize {
                    url.len()
                }
            ),
        );
        assert_eq!(out.matches("compile_error").count(), 1, "{out}");
        assert!(
            out.contains(r#"write `#[node(timeout = \"2s\")]`"#),
            "{out}"
        );
    }

    #[test]
    fn a_negative_retry_max_is_the_at_least_one_error() {
        let out = expand_str(
            quote!(retry(max = -1)),
            quote!(
                async fn parse(raw: String) -> Result<usize, E> {
                    Ok(raw.len())
                }
            ),
        );
        assert_eq!(out.matches("compile_error").count(), 1, "{out}");
        assert!(out.contains("so it must be at least 1"), "{out}");
    }

    #[test]
    fn bad_options_still_emit_the_node() {
        let out = expand_str(
            quote!(timeout = "soon"),
            quote!(
                async fn parse(raw: String) -> usize {
                    raw.len()
                }
            ),
        );
        assert_eq!(out.matches("compile_error").count(), 1, "{out}");
        assert!(out.contains("struct parse"), "{out}");
        assert!(
            out.contains("impl :: workflow_core :: __private :: Node for parse"),
            "{out}"
        );
    }

    #[test]
    fn rejects_non_async_with_the_fn_still_emitted() {
        let out = expand_str(
            quote!(),
            quote!(
                fn parse(raw: String) -> u32 {
                    1
                }
            ),
        );
        assert!(out.contains("compile_error"));
        assert!(out.contains("fn parse"));
    }

    #[test]
    fn reports_every_error_at_once() {
        let out = expand_str(
            quote!(bogus, timeout = "abc"),
            quote!(
                fn parse<T>(self, (a, b): (u8, u8)) -> u32 {
                    1
                }
            ),
        );
        assert!(out.matches("compile_error").count() >= 4, "{out}");
    }

    #[test]
    fn a_res_without_one_type_is_left_to_rustc_next_to_a_stand_in() {
        for item in [
            quote!(
                async fn f(r: Res) {}
            ),
            quote!(
                async fn f(r: Res<A, B>) {}
            ),
        ] {
            let out = expand_str(quote!(), item);
            // rustc's E0107 is the one error; the fn is emitted as written, and a
            // stand-in node (its resource of an unknown type) for workflows calling it.
            assert!(!out.contains("compile_error"), "{out}");
            assert!(out.contains("async fn f"), "{out}");
            assert!(out.contains("Node for"), "{out}");
            assert!(out.contains("__wf_errors_f"), "{out}");
        }
    }

    #[test]
    fn resources_and_context_are_not_ports() {
        let item: syn::ItemFn = syn::parse2(quote!(
            async fn f(a: u8, http: Res<Http>, ctx: &Context, b: workflow_core::Res<Db>) {}
        ))
        .expect("parses");
        let node = ast::NodeFn::from_item(&item);
        let cx = Ctxt::new();
        check::check_fn(&cx, &item, &node, &attr::NodeArgs::default());
        assert!(!cx.has_errors());
        let ports: Vec<String> = node.ports().map(|(ident, _)| ident.to_string()).collect();
        assert_eq!(ports, ["a"]);
    }

    #[test]
    fn result_aliases_are_fallible() {
        for ret in [
            quote!(Result<u8, E>),
            quote!(std::io::Result<u8>),
            quote!(anyhow::Result<u8>),
        ] {
            let item: syn::ItemFn = syn::parse2(quote!(async fn f() -> #ret {})).expect("parses");
            let node = ast::NodeFn::from_item(&item);
            assert!(matches!(node.output, ast::OutputKind::Fallible(_)), "{ret}");
        }
        let item: syn::ItemFn = syn::parse2(quote!(
            async fn f() -> Vec<u8> {}
        ))
        .expect("parses");
        let node = ast::NodeFn::from_item(&item);
        assert!(matches!(node.output, ast::OutputKind::Plain(_)));
    }

    #[test]
    fn odd_inputs_are_errors_not_panics() {
        let cases = [
            ("", "struct S;"),
            ("", "fn"),
            ("", "async fn f(self: Box<Self>) {}"),
            ("", "async fn f(_: u8) {}"),
            ("", "async fn f(ref x: u8) {}"),
            ("", "async fn f(x @ 1: u8) {}"),
            ("", "async fn f(ctx: &mut Context) {}"),
            ("", "async fn f(a: &Context, b: &Context) {}"),
            ("", "async fn f() -> impl Sized {}"),
            ("", "const async fn f() {}"),
            ("", "async unsafe fn f() {}"),
            ("", "async extern \"C\" fn f() {}"),
            ("", "async fn f<const N: usize>() {}"),
            ("", "async fn f() where u8: Copy {}"),
            ("timeout", "async fn f() {}"),
            ("timeout = ", "async fn f() {}"),
            ("retry(max = 99999999999)", "async fn f() {}"),
            ("retry(max = 2, retry_if = 5)", "async fn f() {}"),
            ("crate", "async fn f() {}"),
            ("= 1", "async fn f() {}"),
            ("1, 2", "async fn f() {}"),
        ];
        for (args, item) in cases {
            let out =
                expand(args.parse().expect("lexes"), item.parse().expect("lexes")).to_string();
            assert!(
                out.contains("compile_error"),
                "no error for `#[node({args})] {item}`: {out}"
            );
        }
    }
}
