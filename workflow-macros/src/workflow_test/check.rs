//! Checks of `#[workflow_test]`: that the options fit together and that the fn is an
//! `async fn` taking at most a `Harness`.

use syn::{FnArg, ItemFn, Pat, Path, Type};

use super::attr::TestArgs;
use crate::internals::unbound::unbound_receiver;
use crate::internals::Ctxt;

/// Checks that the options fit together.
pub(crate) fn check_args(cx: &Ctxt, args: &TestArgs) {
    check_workers_need_multi_thread(cx, args);
    check_paused_clock_needs_current_thread(cx, args);
    check_deadlock_below_timeout(cx, args);
}

fn check_workers_need_multi_thread(cx: &Ctxt, args: &TestArgs) {
    if args.flavor_unknown {
        return;
    }
    if let (Some(w), false) = (args.workers, args.is_multi_thread()) {
        cx.error_at(
            w.span,
            "`workers` needs the multi-thread runtime; add `flavor = \"multi_thread\"`",
        );
    }
}

fn check_paused_clock_needs_current_thread(cx: &Ctxt, args: &TestArgs) {
    if let (Some(p), true) = (args.start_paused, args.is_multi_thread()) {
        if p.value {
            cx.error_at(
                p.span,
                "`start_paused = true` needs the current-thread runtime (tokio can only pause its clock there); remove `flavor = \"multi_thread\"`",
            );
        }
    }
}

fn check_deadlock_below_timeout(cx: &Ctxt, args: &TestArgs) {
    if let (Some(t), Some(d)) = (args.timeout, args.deadlock) {
        if d.value >= t.value {
            cx.error_at(
                d.span,
                "`deadlock` must be shorter than `timeout`, or the timeout always fires first",
            );
        }
    }
}

/// Checks the test fn: `async`, not `const`/`unsafe`/generic/variadic, at most one
/// `Harness` parameter, and no second test attribute.
pub(crate) fn check_fn(cx: &Ctxt, f: &ItemFn) {
    // A test attribute expanded before this one (`#[tokio::test]` above it) has already
    // made the fn sync: that attribute is the one mistake to report.
    let stacked = check_no_second_test_attr(cx, f);
    check_signature(cx, f, stacked);
    check_params(cx, f);
    check_harness_declared(cx, f);
    check_no_policy_attr(cx, f);
    check_asserting_futures_awaited(cx, f);
    if let Some(last) = missing_ok_tail(f) {
        cx.error_spanned_by(
            last,
            "the test returns a `Result`: end its body with `Ok(())` after this statement (`?` passes errors on, and the test fails with them)",
        );
    }
    check_question_marks(cx, f);
}

/// The harness's assertions that hand back what they checked (the run, its error, the
/// deadlock report) and fail the test otherwise: a `?` on one was rustc's "the `?`
/// operator can only be applied to values that implement `Try`", which does not say to
/// remove it. With what each returns, for the error.
const ASSERTIONS: &[(&str, &str)] = &[
    ("assert_success", "the run"),
    ("assert_failure", "the `WorkflowError`"),
    ("assert_failed_at", "the `WorkflowError`"),
    ("assert_error_contains", "the `WorkflowError`"),
    ("assert_timeout", "the `WorkflowError`"),
    ("assert_error", "the node's error"),
    ("assert_deadlock", "the `DeadlockReport`"),
];

/// The assertion a `?` is applied to (`h.assert_success(..)?`), with what it returns.
fn assertion_under(t: &syn::ExprTry) -> Option<(&syn::ExprMethodCall, &'static str)> {
    let syn::Expr::MethodCall(call) = &*t.expr else {
        return None;
    };
    let method = call.method.to_string();
    let (_, returns) = ASSERTIONS.iter().find(|(name, _)| *name == method)?;
    Some((call, returns))
}

/// The `?`s of a test's body that return from the test: not those inside closures,
/// `async` blocks, `try` blocks or nested items (each returns from there), nor those
/// inside macro calls (tokens this macro does not parse). Split into those applied to
/// one of the harness's [`ASSERTIONS`] and the others.
#[derive(Default)]
pub(crate) struct QuestionMarks<'a> {
    pub(crate) on_assertions: Vec<&'a syn::ExprTry>,
    pub(crate) others: Vec<&'a syn::ExprTry>,
}

impl<'ast> syn::visit::Visit<'ast> for QuestionMarks<'ast> {
    fn visit_expr_try(&mut self, t: &'ast syn::ExprTry) {
        if assertion_under(t).is_some() {
            self.on_assertions.push(t);
        } else {
            self.others.push(t);
        }
        syn::visit::visit_expr_try(self, t);
    }
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
    fn visit_expr_try_block(&mut self, _: &'ast syn::ExprTryBlock) {}
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

pub(crate) fn question_marks(f: &ItemFn) -> QuestionMarks<'_> {
    use syn::visit::Visit;
    let mut marks = QuestionMarks::default();
    marks.visit_block(&f.block);
    marks
}

/// Whether the test returns `()` (no `->`), so that a `?` in it has no `Result` to pass
/// an error to.
pub(crate) fn returns_unit(f: &ItemFn) -> bool {
    matches!(f.sig.output, syn::ReturnType::Default)
}

/// `h.assert_success(..)?`: one error per such `?`, saying to remove it. A `?` in a test
/// returning `()` (`let run = h.execute(..).await?;`): one error at the first, saying
/// how to declare the test, where rustc said "the `?` operator can only be used in an
/// async function that returns `Result`" once per `?`.
fn check_question_marks(cx: &Ctxt, f: &ItemFn) {
    let marks = question_marks(f);
    for t in &marks.on_assertions {
        if let Some((call, returns)) = assertion_under(t) {
            cx.error_spanned_by(
                t.question_token,
                format!(
                    "remove this `?`: `{}.{}(..)` returns {returns} itself, not a `Result`; it fails the test (printing the run) when the run did not end that way",
                    receiver_text(&call.receiver),
                    call.method
                ),
            );
        }
    }
    if !returns_unit(f) {
        return;
    }
    if let Some((first, rest)) = marks.others.split_first() {
        let also = match rest.len() {
            0 => String::new(),
            1 => String::from(" (this goes for its other `?` too)"),
            n => format!(" (this goes for its other {n} `?`s too)"),
        };
        cx.error_spanned_by(
            first.question_token,
            format!(
                "this test returns `()`, so `?` has no `Result` to pass an error to: declare it `async fn {}(..) -> Result<(), WorkflowError>` (or `anyhow::Result<()>`) and end it with `Ok(())`, or assert in place: `let run = h.assert_success(h.execute(..).await);`{also}",
                f.sig.ident
            ),
        );
    }
}

/// The fn to emit next to the errors of [`check_question_marks`], so that rustc adds
/// none of its own: no `?` on an assertion, and a test with `?`s returning `()` made to
/// return a `Result` whose error any `?` converts into.
pub(crate) fn repair_question_marks(f: &mut ItemFn) {
    use syn::visit_mut::VisitMut;
    struct StripOnAssertions;
    impl VisitMut for StripOnAssertions {
        fn visit_expr_mut(&mut self, e: &mut syn::Expr) {
            syn::visit_mut::visit_expr_mut(self, e);
            if let syn::Expr::Try(t) = e {
                if assertion_under(t).is_some() {
                    *e = (*t.expr).clone();
                }
            }
        }
        fn visit_expr_closure_mut(&mut self, _: &mut syn::ExprClosure) {}
        fn visit_expr_async_mut(&mut self, _: &mut syn::ExprAsync) {}
        fn visit_item_mut(&mut self, _: &mut syn::Item) {}
    }
    StripOnAssertions.visit_block_mut(&mut f.block);
    if returns_unit(f) && !question_marks(f).others.is_empty() {
        let block = &f.block;
        let wrapped: syn::Block = syn::parse_quote!({
            #block;
            ::core::result::Result::Ok(())
        });
        f.sig.output = syn::parse_quote!(
            -> ::core::result::Result<(), ::std::boxed::Box<dyn ::std::error::Error>>
        );
        *f.block = wrapped;
    }
}

/// The last statement of a test declared `-> Result<(), E>` whose body ends without a
/// value (`let run = h.execute(..).await?;`, `assert_eq!(..);`), for which rustc said only
/// "mismatched types: expected `Result<(), E>`, found `()`" over the whole body. `None`
/// when the body ends with a value, a `return`, a diverging macro (`panic!`, `bail!`) or
/// a loop, or the test returns something else.
pub(crate) fn missing_ok_tail(f: &ItemFn) -> Option<&syn::Stmt> {
    let syn::ReturnType::Type(_, ty) = &f.sig.output else {
        return None;
    };
    let syn::Type::Path(tp) = &**ty else {
        return None;
    };
    let last = tp.path.segments.last()?;
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let unit_ok = matches!(args.args.first(), Some(syn::GenericArgument::Type(syn::Type::Tuple(t))) if t.elems.is_empty());
    if last.ident != "Result" || !unit_ok {
        return None;
    }
    let stmt = f.block.stmts.last()?;
    // `panic!(..);`, `bail!(..);`: the body does not end there.
    let diverges = |mac: &syn::Macro| {
        mac.path.segments.last().is_some_and(|s| {
            ["panic", "unreachable", "todo", "unimplemented", "bail"]
                .iter()
                .any(|d| s.ident == d)
        })
    };
    let ends_without_value = match stmt {
        syn::Stmt::Local(_) => true,
        syn::Stmt::Macro(m) => m.semi_token.is_some() && !diverges(&m.mac),
        syn::Stmt::Expr(syn::Expr::Macro(m), Some(_)) => !diverges(&m.mac),
        syn::Stmt::Expr(e, Some(_)) => !matches!(e, syn::Expr::Return(_) | syn::Expr::Loop(_)),
        _ => false,
    };
    ends_without_value.then_some(stmt)
}

/// The harness's checks that are futures: a statement `h.assert_no_leaks();` drops the
/// future unpolled, so the test passes without checking (rustc only warns,
/// `unused_must_use`, and a test's warnings go unread).
const ASSERTING_FUTURES: &[&str] = &["assert_no_leaks", "assert_no_memory_growth"];

/// `h.assert_no_leaks();` or `let _ = h.assert_no_memory_growth(..);` in the body: one
/// error at the call, saying to add `.await`.
fn check_asserting_futures_awaited(cx: &Ctxt, f: &ItemFn) {
    use syn::visit::Visit;
    struct Statements<'c> {
        cx: &'c Ctxt,
    }
    impl Statements<'_> {
        fn report(&self, call: &syn::Expr) {
            if let syn::Expr::MethodCall(m) = call {
                let method = m.method.to_string();
                if ASSERTING_FUTURES.contains(&method.as_str()) {
                    self.cx.error_spanned_by(
                        call,
                        format!("add `.await`: `{method}(..)` returns a future that runs the check when awaited; without it the check never runs and the test passes (`{}.{method}(..).await;`)", receiver_text(&m.receiver)),
                    );
                }
            }
        }
    }
    impl<'ast> Visit<'ast> for Statements<'_> {
        fn visit_stmt(&mut self, stmt: &'ast syn::Stmt) {
            match stmt {
                syn::Stmt::Expr(call, Some(_)) => self.report(call),
                syn::Stmt::Local(syn::Local {
                    pat: syn::Pat::Wild(_),
                    init: Some(init),
                    ..
                }) => self.report(&init.expr),
                _ => {}
            }
            syn::visit::visit_stmt(self, stmt);
        }
        // Items nested in the body are not the test's statements.
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    Statements { cx }.visit_block(&f.block);
}

/// The receiver as written, for the hint (`h`, `self.h`); `h` when it is not a path.
fn receiver_text(receiver: &syn::Expr) -> String {
    match receiver {
        syn::Expr::Path(p) if p.qself.is_none() => p
            .path
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect::<Vec<_>>()
            .join("::"),
        _ => "h".to_owned(),
    }
}

/// `#[retry(..)]` or `#[timeout = ".."]` on the test fn: the node and binding attributes,
/// which rustc would report as "cannot find attribute". Said with where they go (a
/// `#[timeout(1000)]` of another crate, with no string, is left alone).
fn check_no_policy_attr(cx: &Ctxt, f: &ItemFn) {
    for attr in f.attrs.iter().filter(|a| is_policy_attr(a)) {
        let message = if attr.path().is_ident("retry") {
            "`#[retry]` does not go on a test: a node retries, with `#[node(retry(..))]` on its fn or `#[retry(..)]` on its binding in `workflow!`, and the test checks it (`h.assert_executed(\"binding\", 3)`); remove it"
        } else {
            "`#[timeout]` does not go on a test: bound the test with `#[workflow_test(timeout = \"5s\")]`, or a node with `#[node(timeout = \"..\")]` on its fn or `#[timeout = \"..\"]` on its binding in `workflow!`"
        };
        cx.error_spanned_by(attr, message);
    }
}

/// `#[retry(..)]`, or `#[timeout = "5s"]` / `#[timeout("5s")]` (a string: another crate's
/// `#[timeout(1000)]` takes milliseconds).
pub(crate) fn is_policy_attr(attr: &syn::Attribute) -> bool {
    if attr.path().is_ident("retry") {
        return true;
    }
    if !attr.path().is_ident("timeout") {
        return false;
    }
    match &attr.meta {
        syn::Meta::NameValue(nv) => matches!(
            &nv.value,
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(_),
                ..
            })
        ),
        syn::Meta::List(list) => syn::parse2::<syn::LitStr>(list.tokens.clone()).is_ok(),
        syn::Meta::Path(_) => false,
    }
}

fn check_signature(cx: &Ctxt, f: &ItemFn, stacked: bool) {
    let sig = &f.sig;
    if sig.asyncness.is_none() && !stacked {
        cx.error_spanned_by(
            sig.fn_token,
            "the `async` keyword is missing from the function declaration; `#[workflow_test]` runs an `async fn`",
        );
    }
    if let Some(c) = &sig.constness {
        cx.error_spanned_by(c, "a `#[workflow_test]` fn cannot be `const`");
    }
    if let syn::Safety::Unsafe(u) = &sig.safety {
        cx.error_spanned_by(u, "a `#[workflow_test]` fn cannot be `unsafe`");
    }
    if !sig.generics.params.is_empty() {
        cx.error_spanned_by(
            &sig.generics,
            "a `#[workflow_test]` fn cannot be generic: remove its generics and run concrete workflows, `async fn name(h: Harness)` with `h.execute(Etl, EtlInput { .. })`; to check several workflows alike, write a generic helper (`async fn check<W: Workflow>(h: &Harness, ..)`) and call it from a test per workflow",
        );
    }
    // The `where` clause of a generic fn bounds its generics: one mistake, one error.
    if let (Some(w), true) = (&sig.generics.where_clause, sig.generics.params.is_empty()) {
        cx.error_spanned_by(w, "a `#[workflow_test]` fn cannot have a `where` clause");
    }
    if let Some(v) = &sig.variadic {
        cx.error_spanned_by(v, "a `#[workflow_test]` fn cannot be variadic");
    }
}

/// At most one parameter, a `Harness` bound to a name.
fn check_params(cx: &Ctxt, f: &ItemFn) {
    let mut params = f.sig.inputs.iter();
    if let Some(first) = params.next() {
        check_harness_param(cx, first);
    }
    for extra in params {
        cx.error_spanned_by(
            extra,
            "a `#[workflow_test]` fn takes at most one parameter, the injected `Harness`",
        );
    }
}

fn check_harness_param(cx: &Ctxt, arg: &FnArg) {
    match arg {
        FnArg::Receiver(r) => cx.error_spanned_by(r, "a `#[workflow_test]` fn cannot take `self`"),
        FnArg::Typed(t) => {
            if !matches!(&*t.pat, Pat::Ident(_) | Pat::Wild(_)) {
                cx.error_spanned_by(&t.pat, "bind the harness to a name, like `h: Harness`");
            }
            if let Type::Reference(r) = &*t.ty {
                if is_harness(&r.elem) {
                    // `h: &Harness` (or `&mut`), as a helper fn would take it.
                    cx.error_spanned_by(
                        &t.ty,
                        "take the harness by value, `h: Harness`: the test owns the harness it is given, and its methods take `&self` (pass `&h` on to helper fns)",
                    );
                    return;
                }
            }
            if is_harness_with_arguments(&t.ty) {
                // `h: Harness<Etl>`, a harness per workflow as some test kits have.
                cx.error_spanned_by(
                    &t.ty,
                    "`Harness` takes no type: write `h: Harness`; one harness runs any workflow, given at each run (`h.execute(Etl, EtlInput { .. })`)",
                );
            } else if !is_harness(&t.ty) {
                cx.error_spanned_by(
                    &t.ty,
                    "unsupported parameter type; `#[workflow_test]` can only inject a `Harness` (`h: Harness`)",
                );
            }
        }
    }
}

/// The last segment of `ty` when it is `Harness` or `path::to::Harness`, with or
/// without generic arguments.
fn harness_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(p) if p.qself.is_none() => {
            p.path.segments.last().filter(|s| s.ident == "Harness")
        }
        _ => None,
    }
}

/// Whether `ty` is `Harness<..>` written with generic arguments, which it has none of.
fn is_harness_with_arguments(ty: &Type) -> bool {
    harness_segment(ty).is_some_and(|s| !s.arguments.is_none())
}

/// The fn with `h: Harness<..>` written `h: Harness`, after its error, so that rustc
/// does not add its own ("struct takes 0 generic arguments").
pub(crate) fn strip_harness_arguments(f: &mut ItemFn) {
    for arg in &mut f.sig.inputs {
        if let FnArg::Typed(t) = arg {
            if let (true, Type::Path(p)) = (is_harness_with_arguments(&t.ty), &mut *t.ty) {
                if let Some(segment) = p.path.segments.last_mut() {
                    segment.arguments = syn::PathArguments::None;
                }
            }
        }
    }
}

/// `Harness` or `path::to::Harness`, without generic arguments.
fn is_harness(ty: &Type) -> bool {
    harness_segment(ty).is_some_and(|s| s.arguments.is_none())
}

/// `#[workflow_test]` already makes the fn a test. Returns whether another test
/// attribute was found.
fn check_no_second_test_attr(cx: &Ctxt, f: &ItemFn) -> bool {
    let mut found = false;
    for attr in &f.attrs {
        if let Some(written) = test_attr_as_written(attr.path(), f) {
            cx.error_spanned_by(
                attr,
                format!("remove `#[{written}]`: `#[workflow_test]` already makes this a test"),
            );
            found = true;
        }
    }
    found
}

/// Whether `path` names a test attribute (`test`, `tokio::test`, `workflow_test`, ..).
pub(crate) fn is_test_attr(path: &Path) -> bool {
    let last = path.segments.last().map(|s| s.ident.to_string());
    matches!(last.as_deref(), Some("test" | "workflow_test"))
}

/// The test attribute as the user wrote it, if `path` is one: `test`, `tokio::test`,
/// `workflow_test`; or the `#[::core::prelude::v1::test]` that `#[tokio::test]` leaves
/// when it expands first (its body then drives a tokio runtime).
fn test_attr_as_written(path: &Path, f: &ItemFn) -> Option<String> {
    if !is_test_attr(path) {
        return None;
    }
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    let expanded_std_test =
        path.leading_colon.is_some() && segments.len() > 1 && segments[0] == "core";
    if expanded_std_test {
        let body = quote::ToTokens::to_token_stream(&f.block).to_string();
        return Some(if body.contains("tokio") {
            "tokio::test".to_string()
        } else {
            "test".to_string()
        });
    }
    Some(segments.join("::"))
}

/// A body that uses a harness it does not take (`async fn t() { h.execute(..) }`): one
/// error at the empty parameter list, saying to take it (rustc would report each use of
/// `h`, suggesting a similarly named item). See [`undeclared_harness`].
fn check_harness_declared(cx: &Ctxt, f: &ItemFn) {
    if let Some(h) = undeclared_harness(f) {
        cx.error_at(
            f.sig.paren_token.span.join(),
            format!(
                "the body uses `{h}` as the harness, which this test does not take: declare it as the parameter, `async fn {}({h}: Harness)`",
                f.sig.ident
            ),
        );
    }
}

/// The harness methods a body calls on `h` (`h.execute(..)`, `h.assert_success(..)`).
const HARNESS_METHODS: &[&str] = &[
    "execute",
    "execute_with",
    "runtime",
    "mock",
    "load",
    "last_trace",
    "last_run",
    "runs",
    "run_count",
    "failure_count",
    "execution_count",
    "runs_that_called",
    "insert_resource",
    "insert_resource_arc",
    "set_trace",
    "live_runs",
    "memory_growth",
];

/// For a fn without parameters, the name the body calls harness methods on
/// (`h.execute(..)`, `h.assert_*(..)`) without binding it anywhere (no `let h`, closure
/// or pattern binding of that name): the `h` of a forgotten `h: Harness`.
pub(crate) fn undeclared_harness(f: &ItemFn) -> Option<syn::Ident> {
    if !f.sig.inputs.is_empty() {
        return None;
    }
    unbound_receiver([], &f.block, |m| {
        m.starts_with("assert_") || HARNESS_METHODS.contains(&m)
    })
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;
    use crate::workflow_test::attr::parse_args;

    fn messages(args: proc_macro2::TokenStream, item: proc_macro2::TokenStream) -> Vec<String> {
        let cx = Ctxt::new();
        let args = parse_args(&cx, args);
        check_args(&cx, &args);
        check_fn(&cx, &syn::parse2(item).expect("parses"));
        cx.messages()
    }

    #[test]
    fn an_asserting_future_not_awaited_is_an_error() {
        let msgs = messages(
            quote!(),
            quote!(
                async fn t(h: Harness) {
                    h.assert_no_leaks();
                    let _ = h.assert_no_memory_growth(3, 10, || h.execute(W, WInput {}));
                    h.assert_no_leaks().await;
                    let report = h.assert_no_leaks();
                    report.await;
                }
            ),
        );
        assert_eq!(msgs.len(), 2, "{msgs:?}");
        assert!(
            msgs[0].starts_with("add `.await`: `assert_no_leaks(..)` returns a future"),
            "{msgs:?}"
        );
        assert!(
            msgs[1].contains("`h.assert_no_memory_growth(..).await;`"),
            "{msgs:?}"
        );
    }

    #[test]
    fn a_name_or_a_typed_harness_is_one_error_saying_what_to_write() {
        let item = quote!(
            async fn t(h: Harness) {}
        );
        for args in [quote!("etl works"), quote!(name = "etl works")] {
            let msgs = messages(args, item.clone());
            assert_eq!(msgs.len(), 1, "{msgs:?}");
            assert!(
                msgs[0].ends_with("; a test is named by its fn, as `cargo test` lists and filters it: `async fn etl_fetches_every_page(h: Harness)`"),
                "{msgs:?}"
            );
        }
        let msgs = messages(
            quote!(),
            quote!(
                async fn t(h: workflow_test::Harness<Etl>) {}
            ),
        );
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        assert!(
            msgs[0].starts_with("`Harness` takes no type: write `h: Harness`"),
            "{msgs:?}"
        );
        let mut f: ItemFn = syn::parse2(quote!(
            async fn t(h: workflow_test::Harness<Etl>) {}
        ))
        .unwrap();
        strip_harness_arguments(&mut f);
        assert_eq!(
            quote::ToTokens::to_token_stream(&f.sig).to_string(),
            "async fn t (h : workflow_test :: Harness)"
        );
    }

    #[test]
    fn a_plain_async_test_passes() {
        assert!(messages(
            quote!(),
            quote!(
                async fn t(h: Harness) {}
            )
        )
        .is_empty());
        assert!(messages(
            quote!(),
            quote!(
                async fn t(_: workflow_test::Harness) {}
            )
        )
        .is_empty());
        assert!(messages(
            quote!(flavor = "multi_thread", workers = 2),
            quote!(
                async fn t() {}
            )
        )
        .is_empty());
    }

    #[test]
    fn option_combinations_are_checked() {
        assert_eq!(
            messages(
                quote!(workers = 2),
                quote!(
                    async fn t() {}
                )
            ),
            ["`workers` needs the multi-thread runtime; add `flavor = \"multi_thread\"`"]
        );
        let msgs = messages(
            quote!(flavor = "multi_thread", start_paused = true),
            quote!(
                async fn t() {}
            ),
        );
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        assert!(msgs[0].starts_with("`start_paused = true` needs the current-thread runtime"));
        // `start_paused = false` on the multi-thread runtime is fine.
        assert!(messages(
            quote!(flavor = "multi_thread", start_paused = false),
            quote!(
                async fn t() {}
            )
        )
        .is_empty());
        assert_eq!(
            messages(
                quote!(timeout = "1s", deadlock = "1s"),
                quote!(
                    async fn t() {}
                )
            ),
            ["`deadlock` must be shorter than `timeout`, or the timeout always fires first"]
        );
    }

    #[test]
    fn the_fn_shape_is_checked_in_one_pass() {
        let msgs = messages(
            quote!(),
            quote!(
                unsafe fn t<T>((a, b): Vec<u8>, extra: u8) {}
            ),
        );
        assert_eq!(msgs.len(), 6, "{msgs:?}");
        assert!(msgs[0].starts_with("the `async` keyword is missing"));
        assert_eq!(msgs[1], "a `#[workflow_test]` fn cannot be `unsafe`");
        assert!(
            msgs[2].starts_with("a `#[workflow_test]` fn cannot be generic: remove its generics"),
            "{}",
            msgs[2]
        );
        assert_eq!(msgs[3], "bind the harness to a name, like `h: Harness`");
        assert!(msgs[4].starts_with("unsupported parameter type"));
        assert!(msgs[5].starts_with("a `#[workflow_test]` fn takes at most one parameter"));
    }

    #[test]
    fn a_result_test_ending_without_a_value_is_told_to_end_with_ok() {
        let told = |f: proc_macro2::TokenStream| {
            messages(quote!(), f)
                .iter()
                .filter(|m| m.starts_with("the test returns a `Result`"))
                .count()
        };
        assert_eq!(
            told(quote!(
                async fn t(h: Harness) -> Result<(), E> {
                    let r = h.run().await?;
                }
            )),
            1
        );
        assert_eq!(
            told(quote!(
                async fn t() -> anyhow::Result<()> {
                    work().await?;
                }
            )),
            1
        );
        assert_eq!(
            told(quote!(
                async fn t() -> Result<(), E> {
                    work().await?;
                    assert_eq!(1, 1);
                }
            )),
            1
        );
        // A value, a `return`, a diverging macro, or another return type: nothing said.
        for f in [
            quote!(
                async fn t() -> Result<(), E> {
                    work().await?;
                    Ok(())
                }
            ),
            quote!(
                async fn t() -> Result<(), E> {
                    return Ok(());
                }
            ),
            quote!(
                async fn t() -> Result<(), E> {
                    panic!("no");
                }
            ),
            quote!(
                async fn t() -> Result<u32, E> {
                    work().await?;
                }
            ),
            quote!(
                async fn t() {
                    work().await;
                }
            ),
        ] {
            assert_eq!(told(f.clone()), 0, "{f}");
        }
    }

    #[test]
    fn question_marks_in_a_test_returning_unit_are_one_error() {
        let msgs = messages(
            quote!(),
            quote!(
                async fn flows(h: Harness) {
                    let a = h.execute(Etl, input()).await?;
                    let b = h.execute(Etl, input()).await?;
                    let f = || -> Result<(), E> {
                        g()?;
                        Ok(())
                    };
                    let t = async {
                        g().await?;
                        Ok::<(), E>(())
                    };
                    fn inner() -> Result<(), E> {
                        g()?;
                        Ok(())
                    }
                }
            ),
        );
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        assert!(
            msgs[0].starts_with("this test returns `()`, so `?` has no `Result` to pass an error to: declare it `async fn flows(..) -> Result<(), WorkflowError>`"),
            "{msgs:?}"
        );
        assert!(
            msgs[0].ends_with("(this goes for its other `?` too)"),
            "{msgs:?}"
        );
        // `?`s returning from closures, async blocks and nested fns, or a test returning a
        // `Result`: nothing said.
        for f in [
            quote!(
                async fn t(h: Harness) {
                    let f = || -> Result<(), E> {
                        g()?;
                        Ok(())
                    };
                    let t = async {
                        g().await?;
                        Ok::<(), E>(())
                    };
                }
            ),
            quote!(
                async fn t(h: Harness) -> Result<(), WorkflowError> {
                    h.execute(Etl, input()).await?;
                    Ok(())
                }
            ),
        ] {
            assert_eq!(messages(quote!(), f.clone()), Vec::<String>::new(), "{f}");
        }
    }

    #[test]
    fn a_question_mark_on_an_assertion_says_to_remove_it() {
        let msgs = messages(
            quote!(),
            quote!(
                async fn t(h: Harness) -> Result<(), WorkflowError> {
                    let run = h.assert_success(h.execute(Etl, input()).await)?;
                    let e = h.assert_error::<E>(h.execute(Etl, input()).await)?;
                    Ok(())
                }
            ),
        );
        assert_eq!(
            msgs,
            [
                "remove this `?`: `h.assert_success(..)` returns the run itself, not a `Result`; it fails the test (printing the run) when the run did not end that way",
                "remove this `?`: `h.assert_error(..)` returns the node's error itself, not a `Result`; it fails the test (printing the run) when the run did not end that way",
            ]
        );
        // In a test returning `()`, that `?` is not also one without a `Result` to go to.
        let msgs = messages(
            quote!(),
            quote!(
                async fn t(h: Harness) {
                    let run = h.assert_success(h.execute(Etl, input()).await)?;
                }
            ),
        );
        assert_eq!(msgs.len(), 1, "{msgs:?}");
    }

    #[test]
    fn the_repaired_test_has_no_question_mark_left_to_fail() {
        let mut f: ItemFn = syn::parse_quote!(
            async fn t(h: Harness) {
                let run = h.assert_success(h.execute(Etl, input()).await)?;
                let other = h.execute(Etl, input()).await?;
            }
        );
        repair_question_marks(&mut f);
        let out = quote!(#f).to_string();
        assert!(
            out.contains("let run = h . assert_success (h . execute (Etl , input ()) . await) ;"),
            "{out}"
        );
        assert!(out.contains("-> :: core :: result :: Result < () , :: std :: boxed :: Box < dyn :: std :: error :: Error > >"), "{out}");
        assert!(
            out.ends_with(":: core :: result :: Result :: Ok (()) }"),
            "{out}"
        );
        // Only the assertion's `?` in a test that has no other: it keeps returning `()`.
        let mut f: ItemFn = syn::parse_quote!(
            async fn t(h: Harness) {
                let run = h.assert_success(h.execute(Etl, input()).await)?;
            }
        );
        repair_question_marks(&mut f);
        assert!(matches!(f.sig.output, syn::ReturnType::Default));
    }

    #[test]
    fn a_second_test_attribute_is_an_error() {
        for attr in [
            quote!(#[test]),
            quote!(#[tokio::test]),
            quote!(#[workflow_test]),
        ] {
            let msgs = messages(quote!(), quote!(#attr async fn t() {}));
            let written = attr.to_string().replace(' ', "");
            let expected =
                format!("remove `{written}`: `#[workflow_test]` already makes this a test");
            assert_eq!(msgs, [expected], "{attr}");
        }
    }

    #[test]
    fn tokio_test_expanded_first_is_one_error() {
        // What `#[tokio::test]` above `#[workflow_test]` hands over: a sync fn.
        let msgs = messages(
            quote!(),
            quote!(
                #[::core::prelude::v1::test]
                fn t() {
                    let body = async {};
                    tokio::runtime::Builder::new_current_thread()
                        .build()
                        .unwrap()
                        .block_on(body)
                }
            ),
        );
        assert_eq!(
            msgs,
            ["remove `#[tokio::test]`: `#[workflow_test]` already makes this a test"]
        );
    }
}
