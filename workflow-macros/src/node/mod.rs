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
        // `async fn page(n: u32 = 10)` (a Python or Kotlin default): rustc has already
        // said "parameter defaults are not supported" at the `=`, and recovered. The fn
        // without them is the node, so that this is that one error, not also ours (which
        // said "goes on an `async fn`", wrong) and "cannot find macro" in each workflow
        // calling it; a port left unconnected there is then said as usual.
        Err(_) if strip_param_defaults(&item).is_some() => {
            let stripped = strip_param_defaults(&item).unwrap_or_default();
            return expand(args, stripped);
        }
        // `Err(FetchError(f"bad {url}"))`, `ctx.emit(f"n = {n}")`: a Python f-string,
        // which rustc has already said (an unknown prefix, then a missing `,`) and split
        // into `f` and the string. The body with `format!("bad {url}")` there is the
        // node, so that rustc's type check adds nothing (it took `f` for an argument).
        Err(_) if python_f_strings(&item).is_some() => {
            let repaired = python_f_strings(&item).unwrap_or_default();
            return expand(args, repaired);
        }
        // `async fn fetch(url: String) -> Page;` (a declaration, as an activity
        // interface or a trait has): one error at the `;` saying to write the body. The
        // fn is expanded with a body that never runs, so that rustc's "free function
        // without a body" and "cannot find macro" in each workflow calling it add nothing.
        Err(_) if without_body(&item).is_some() => {
            let (with_body, semi) = without_body(&item)
                .unwrap_or_else(|| (TokenStream::new(), proc_macro2::Span::call_site()));
            let name = syn::parse2::<syn::ItemFn>(with_body.clone())
                .map(|f| f.sig.ident.to_string())
                .unwrap_or_default();
            let err = syn::Error::new(
                semi,
                format!("`{name}` has no body: a `#[node]` is the fn the runtime calls, declared and defined at once; write its body in place of the `;`, like `async fn {name}(..) -> T {{ .. }}`"),
            )
            .to_compile_error();
            let node = expand(args, with_body);
            return quote!(#err #node);
        }
        // A body that does not parse (`raise FetchError(..)`, Python's): rustc has
        // already said where, before expanding. The fn is emitted with its body as
        // written (rustc reports it again, which it prints once) and the node is made of
        // its signature, so that ours ("goes on an `async fn`", wrong) and "cannot find
        // macro" in each workflow calling it add nothing. If syn alone misread a body
        // rustc accepts, the node is the same as if it had read it.
        Err(e) => match verbatim_body(&item) {
            Some(f) => f,
            None => {
                let e = syn::Error::new(
                    e.span(),
                    "`#[node]` goes on an `async fn`, like `#[node] async fn fetch(url: String) -> Page { .. }`",
                );
                let err = e.to_compile_error();
                return quote!(#item #err);
            }
        },
    };
    if check::has_duplicate_params(&item_fn) {
        return quote!(#item_fn);
    }
    let cx = Ctxt::new();
    check::take_second_node_attr(&cx, &mut item_fn);
    check::take_option_attrs(&cx, &mut item_fn);
    check::take_entry_attrs(&cx, &mut item_fn);
    check::take_param_resource_attrs(&cx, &mut item_fn);
    check::context_other_names(&cx, &mut item_fn);
    check::emit_with_format_args(&cx, &mut item_fn);
    check::foreign_type_names(&cx, &mut item_fn);
    let mut node_args = attr::parse_args(&cx, args);
    let node = ast::NodeFn::from_item(&item_fn);
    check::check_options(&cx, &item_fn, &node, &mut node_args);
    let option_errors = cx.error_count();
    check::unsized_ports(&cx, &mut item_fn);
    let unsized_output = check::unsized_output(&cx, &item_fn);
    let node = ast::NodeFn::from_item(&item_fn);
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
        if unsized_output {
            item_fn.sig.output = syn::parse_quote!(-> #unknown);
        }
        let fixed = stand_in::repair(&item_fn, &node_args, &unknown);
        // A plain `fn` told to be an `async fn` is emitted as one, so that an `.await` in
        // its body (`fn f(..) -> T { call().await }`) adds no E0728 to that one error.
        if check::only_async_is_missing(&item_fn.sig, &node_args) {
            item_fn.sig.asyncness = Some(Default::default());
        }
        return match fixed {
            Some(fixed) => {
                expand::stand_in(&item_fn, &fixed, &node_args, (&errors_const, errors, ours))
            }
            None => {
                drop_unused_receiver(&mut item_fn);
                quote!(#item_fn #errors)
            }
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

/// Removes a `self` receiver that the body never reads (`async fn fetch(&self, url:
/// String) -> String { url }`, a free fn copied out of an `impl`): outside an `impl`,
/// rustc rejects any receiver ("`self` parameter is only allowed in associated
/// functions"), which would repeat the one error `check_fn` gives at it. In an `impl`,
/// the fn is then an associated fn, as valid. A body that reads `self` keeps it (the fn
/// is a method in an `impl`; outside one, rustc's error names the receiver too).
fn drop_unused_receiver(item_fn: &mut syn::ItemFn) {
    fn mentions_self(ts: TokenStream) -> bool {
        ts.into_iter().any(|t| match t {
            proc_macro2::TokenTree::Ident(i) => i == "self",
            proc_macro2::TokenTree::Group(g) => mentions_self(g.stream()),
            _ => false,
        })
    }
    let block = &item_fn.block;
    if mentions_self(quote!(#block)) {
        return;
    }
    let inputs = std::mem::take(&mut item_fn.sig.inputs);
    item_fn.sig.inputs = inputs
        .into_pairs()
        .filter(|p| !matches!(p.value(), syn::FnArg::Receiver(_)))
        .collect();
}

/// `item`, a fn declared without a body (`async fn f(..) -> T;`), with a body that never
/// runs in place of its `;`, and the `;`'s span; `None` unless that parses as a fn.
fn without_body(item: &TokenStream) -> Option<(TokenStream, proc_macro2::Span)> {
    use proc_macro2::TokenTree;
    let mut tokens: Vec<TokenTree> = item.clone().into_iter().collect();
    let semi = match tokens.pop()? {
        TokenTree::Punct(p) if p.as_char() == ';' => p.span(),
        _ => return None,
    };
    if !tokens
        .iter()
        .any(|t| matches!(t, TokenTree::Ident(i) if i == "fn"))
    {
        return None;
    }
    let body = quote::quote_spanned!(semi=> { ::core::unimplemented!() });
    // Its parameters are unused there: no warnings next to the error.
    let with_body: TokenStream = quote::quote!(#[allow(unused_variables)])
        .into_iter()
        .chain(tokens)
        .chain(body)
        .collect();
    syn::parse2::<syn::ItemFn>(with_body.clone()).ok()?;
    Some((with_body, semi))
}

/// `item` parsed as a fn whose body is kept as written, unparsed; `None` unless it is
/// attributes, a visibility, a signature and a `{ .. }` body.
fn verbatim_body(item: &TokenStream) -> Option<syn::ItemFn> {
    use proc_macro2::{Delimiter, Group, TokenTree};
    // The body is the last token; parsed as `{}` (at its span), then put back as written.
    let mut tokens: Vec<TokenTree> = item.clone().into_iter().collect();
    let Some(TokenTree::Group(body)) = tokens.pop() else {
        return None;
    };
    if body.delimiter() != Delimiter::Brace {
        return None;
    }
    let mut empty = Group::new(Delimiter::Brace, TokenStream::new());
    empty.set_span(body.span());
    tokens.push(TokenTree::Group(empty));
    let mut item_fn: syn::ItemFn = syn::parse2(tokens.into_iter().collect()).ok()?;
    item_fn.block.stmts = vec![syn::Stmt::Item(syn::Item::Verbatim(body.stream()))];
    Some(item_fn)
}

/// `item` with each Python f-string (`f"n = {n}"`, which rustc lexes as `f` and a
/// string) made a `format!("n = {n}")`, if it has any and then parses as a fn; `None`
/// otherwise. Macro calls' arguments are left as written (their tokens are theirs).
fn python_f_strings(item: &TokenStream) -> Option<TokenStream> {
    use proc_macro2::{Delimiter, Group, Ident, Punct, Spacing, TokenTree};

    fn repair(ts: TokenStream, found: &mut bool) -> TokenStream {
        let tokens: Vec<TokenTree> = ts.into_iter().collect();
        let mut out = Vec::with_capacity(tokens.len());
        let mut i = 0;
        while i < tokens.len() {
            match (&tokens[i], tokens.get(i + 1)) {
                (TokenTree::Ident(f), Some(TokenTree::Literal(lit)))
                    if f == "f" && lit.to_string().starts_with('"') =>
                {
                    *found = true;
                    let span = lit.span();
                    let mut bang = Punct::new('!', Spacing::Alone);
                    bang.set_span(f.span());
                    let mut args = Group::new(
                        Delimiter::Parenthesis,
                        TokenStream::from(TokenTree::Literal(lit.clone())),
                    );
                    args.set_span(span);
                    out.push(TokenTree::Ident(Ident::new("format", f.span())));
                    out.push(TokenTree::Punct(bang));
                    out.push(TokenTree::Group(args));
                    i += 2;
                    continue;
                }
                (TokenTree::Group(g), _) => {
                    let macro_args = i >= 1
                        && matches!(&tokens[i - 1], TokenTree::Punct(p) if p.as_char() == '!');
                    if macro_args {
                        out.push(tokens[i].clone());
                    } else {
                        let mut inner = Group::new(g.delimiter(), repair(g.stream(), found));
                        inner.set_span(g.span());
                        out.push(TokenTree::Group(inner));
                    }
                }
                (t, _) => out.push(t.clone()),
            }
            i += 1;
        }
        out.into_iter().collect()
    }
    let mut found = false;
    let repaired = repair(item.clone(), &mut found);
    (found && syn::parse2::<syn::ItemFn>(repaired.clone()).is_ok()).then_some(repaired)
}

/// `item` with the parameters' default values (`n: u32 = 10`) removed, if it has any and
/// is a fn without them; `None` otherwise.
fn strip_param_defaults(item: &TokenStream) -> Option<TokenStream> {
    use proc_macro2::{Delimiter, Group, Spacing, TokenTree};

    // The parameter list: the first `(..)` after `fn` outside the generics' `<..>`.
    let mut tokens: Vec<TokenTree> = item.clone().into_iter().collect();
    let fn_at = tokens
        .iter()
        .position(|t| matches!(t, TokenTree::Ident(i) if i == "fn"))?;
    let mut angle = 0i32;
    let mut params_at = None;
    for (i, t) in tokens.iter().enumerate().skip(fn_at + 1) {
        match t {
            TokenTree::Punct(p) if p.as_char() == '<' => angle += 1,
            TokenTree::Punct(p) if p.as_char() == '>' => angle -= 1,
            TokenTree::Group(g) if g.delimiter() == Delimiter::Parenthesis && angle == 0 => {
                params_at = Some(i);
                break;
            }
            _ => {}
        }
    }
    let params_at = params_at?;
    let TokenTree::Group(params) = &tokens[params_at] else {
        return None;
    };
    // Drop each `= expr` at the top level of a parameter, up to its `,`. Angle brackets
    // are counted so that `impl Iterator<Item = u32>` keeps its `=`; a `=` just after a
    // joint punct (`==`, `<=`, `->`'s kin) is part of an operator.
    let mut kept = TokenStream::new();
    let mut stripped = false;
    let mut angle = 0i32;
    let mut skipping = false;
    let mut after_joint = false;
    let mut after_dash = false;
    for t in params.stream() {
        let (joint, dash) = match &t {
            TokenTree::Punct(p) => (p.spacing() == Spacing::Joint, p.as_char() == '-'),
            _ => (false, false),
        };
        match &t {
            TokenTree::Punct(p) if p.as_char() == ',' && (skipping || angle == 0) => {
                skipping = false;
                angle = 0;
            }
            _ if skipping => {
                after_joint = joint;
                after_dash = dash;
                continue;
            }
            TokenTree::Punct(p) if p.as_char() == '<' => angle += 1,
            TokenTree::Punct(p) if p.as_char() == '>' && !after_dash => angle -= 1,
            TokenTree::Punct(p) if p.as_char() == '=' && angle == 0 && !after_joint && !joint => {
                skipping = true;
                stripped = true;
                after_joint = false;
                after_dash = false;
                continue;
            }
            _ => {}
        }
        after_joint = joint;
        after_dash = dash;
        kept.extend([t]);
    }
    if !stripped {
        return None;
    }
    let mut group = Group::new(Delimiter::Parenthesis, kept);
    group.set_span(params.span());
    tokens[params_at] = TokenTree::Group(group);
    let out: TokenStream = tokens.into_iter().collect();
    syn::parse2::<syn::ItemFn>(out.clone()).ok().map(|_| out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_str(args: TokenStream, item: TokenStream) -> String {
        expand(args, item).to_string()
    }

    #[test]
    fn a_fn_declared_without_a_body_is_one_error_and_the_node_kept() {
        let out = expand_str(
            quote!(),
            quote!(
                async fn fetch(url: String) -> u32;
            ),
        );
        assert_eq!(out.matches("compile_error").count(), 1, "{out}");
        assert!(out.contains("`fetch` has no body"), "{out}");
        // The node is still declared, for workflows calling it.
        assert!(out.contains("macro_rules"), "{out}");
        assert!(without_body(&quote!(
            struct S;
        ))
        .is_none());
    }

    #[test]
    fn parameter_defaults_are_left_to_rustc_and_the_node_kept() {
        let strip = |item: TokenStream| strip_param_defaults(&item).map(|t| t.to_string());
        let without = strip(quote!(
            async fn page(n: u32 = 10, xs: impl Iterator<Item = u32>, f: fn(u8) -> u8 = id, s: String = "a,b".into()) -> u32 { n }
        ))
        .expect("has defaults");
        assert_eq!(
            without,
            quote!(
                async fn page(
                    n: u32,
                    xs: impl Iterator<Item = u32>,
                    f: fn(u8) -> u8,
                    s: String,
                ) -> u32 {
                    n
                }
            )
            .to_string()
            // rustfmt adds a trailing comma to the list above.
            .replace(" ,)", ")")
        );
        assert_eq!(
            strip(quote!(
                async fn page<T: Fn(u8) -> u8>(n: u32, f: T) -> u32 {
                    n
                }
            )),
            None,
            "no default"
        );
        let out = expand_str(quote!(), quote!(async fn page(n: u32 = 10) -> u32 { n }));
        assert!(
            out.contains("struct page") && !out.contains("compile_error"),
            "{out}"
        );
    }

    #[test]
    fn a_body_rustc_rejected_is_kept_as_written_and_the_node_made_of_the_signature() {
        // `raise E(..)`: rustc has said where before expanding; nothing more from us.
        let item: TokenStream = "async fn check(url: String) -> Result<String, E> { if url.is_empty() { raise E(1); } Ok(url) }"
            .parse()
            .expect("lexes");
        assert!(syn::parse2::<syn::ItemFn>(item.clone()).is_err());
        let out = expand(quote!(), item).to_string();
        assert!(!out.contains("compile_error"), "{out}");
        assert!(out.contains("raise E (1)"), "{out}");
        assert!(out.contains("struct check"), "{out}");
        // Not a fn at all is still ours.
        let out = expand_str(
            quote!(),
            quote!(
                struct S {
                    a: u8,
                }
            ),
        );
        assert!(out.contains("goes on an `async fn`"), "{out}");
    }

    #[test]
    fn python_f_strings_become_format_calls_outside_macro_arguments() {
        let item: TokenStream =
            r#"async fn check(n: u32, ctx: &Context) -> u32 { ctx.emit(f "n = {n}"); println!(f "x"); n }"#
                .parse()
                .expect("lexes");
        let out = python_f_strings(&item).expect("repaired").to_string();
        assert!(
            out.contains(r#"ctx . emit (format ! ("n = {n}"))"#),
            "{out}"
        );
        assert!(out.contains(r#"println ! (f "x")"#), "{out}");
        assert!(python_f_strings(&quote!(
            async fn f(s: String) -> String {
                s
            }
        ))
        .is_none());
        let out = expand(quote!(), item).to_string();
        assert!(!out.contains("compile_error"), "{out}");
    }

    #[test]
    fn a_receiver_the_body_never_reads_is_dropped_next_to_the_one_error() {
        let out = expand_str(
            quote!(),
            quote!(
                async fn fetch(&self, url: String) -> String {
                    url
                }
            ),
        );
        assert_eq!(out.matches("compile_error").count(), 1, "{out}");
        assert!(out.contains("async fn fetch (url : String)"), "{out}");
        // A body that reads `self` is a method's: kept as written.
        let out = expand_str(
            quote!(),
            quote!(
                async fn fetch(&self, url: String) -> String {
                    self.get(url)
                }
            ),
        );
        assert_eq!(out.matches("compile_error").count(), 1, "{out}");
        assert!(
            out.contains("async fn fetch (& self , url : String)"),
            "{out}"
        );
    }

    #[test]
    fn emit_with_format_arguments_is_one_error_and_becomes_a_format_call() {
        let out = expand_str(
            quote!(),
            quote!(
                async fn count(n: u32, ctx: &Context) -> u32 {
                    ctx.emit("n = {} of {}", n, items.len());
                    ctx.emit("plain");
                    n
                }
            ),
        );
        assert_eq!(out.matches("compile_error").count(), 1, "{out}");
        assert!(
            out.contains(r#"write `ctx.emit(format!(\"n = {} of {}\", n, items.len()))`"#),
            "{out}"
        );
        assert!(
            out.contains(
                r#"ctx . emit (:: std :: format ! ("n = {} of {}" , n , items . len ()))"#
            ),
            "{out}"
        );
        assert!(out.contains("struct count"), "{out}");
        // A label and a value: no placeholder, so no `format!` of it.
        let out = expand_str(
            quote!(),
            quote!(
                async fn count(n: u32, ctx: &Context) -> u32 {
                    ctx.emit("items", n);
                    n
                }
            ),
        );
        assert_eq!(out.matches("compile_error").count(), 1, "{out}");
        assert!(
            out.contains(r#"like `ctx.emit(format!(\"items: {:?}\", n))`"#),
            "{out}"
        );
        assert!(out.contains(r#"ctx . emit ("items")"#), "{out}");
        // Another value's `emit`, or a fn without a context, is not the node's.
        for item in [
            quote!(
                async fn count(n: u32, log: Res<Log>) -> u32 {
                    log.emit("n = {}", n);
                    n
                }
            ),
            quote!(
                async fn count(n: u32, ctx: &Context) -> u32 {
                    bus.emit("n = {}", n);
                    n
                }
            ),
        ] {
            let out = expand_str(quote!(), item);
            assert!(!out.contains("compile_error"), "{out}");
        }
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
