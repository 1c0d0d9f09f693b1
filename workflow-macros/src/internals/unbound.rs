//! Finding the receiver of a forgotten parameter: a body that calls methods only one
//! type has (`ctx.emit(..)`, `h.execute(..)`) on a name nothing binds forgot the
//! parameter of that type. Used by `#[node]` (a missing `ctx: &Context`) and
//! `#[workflow_test]` (a missing `h: Harness`) to say so in one error instead of rustc's
//! "cannot find value" at every use.

use syn::visit::Visit;
use syn::{Block, Ident, Pat};

/// The first name the body calls a method accepted by `is_method` on (`name.method(..)`,
/// the receiver a bare path) without binding it: neither one of `params` nor a `let`,
/// closure or pattern binding anywhere in `body`. Only lowercase names (and `_`-prefixed
/// ones) count: `Type.method()` is not a forgotten parameter. Items and macros inside the
/// body are not looked into (they have scopes of their own).
pub(crate) fn unbound_receiver<'a>(
    params: impl IntoIterator<Item = &'a Pat>,
    body: &Block,
    is_method: impl Fn(&str) -> bool,
) -> Option<Ident> {
    struct Uses<F> {
        bound: Vec<Ident>,
        receivers: Vec<Ident>,
        is_method: F,
    }
    impl<'ast, F: Fn(&str) -> bool> Visit<'ast> for Uses<F> {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            self.bound.push(p.ident.clone());
            syn::visit::visit_pat_ident(self, p);
        }
        fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
            if (self.is_method)(&m.method.to_string()) {
                if let syn::Expr::Path(p) = &*m.receiver {
                    if p.qself.is_none() {
                        if let Some(ident) = p.path.get_ident() {
                            self.receivers.push(ident.clone());
                        }
                    }
                }
            }
            syn::visit::visit_expr_method_call(self, m);
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut uses = Uses {
        bound: Vec::new(),
        receivers: Vec::new(),
        is_method,
    };
    for pat in params {
        uses.visit_pat(pat);
    }
    uses.visit_block(body);
    let Uses {
        bound, receivers, ..
    } = uses;
    receivers.into_iter().find(|r| {
        !bound.contains(r)
            && r.to_string()
                .starts_with(|c: char| c.is_lowercase() || c == '_')
    })
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    fn find(params: &[Pat], body: proc_macro2::TokenStream) -> Option<String> {
        let body: Block = syn::parse2(body).unwrap();
        unbound_receiver(params, &body, |m| m == "emit").map(|i| i.to_string())
    }

    fn pat(tokens: proc_macro2::TokenStream) -> Pat {
        syn::parse::Parser::parse2(Pat::parse_single, tokens).unwrap()
    }

    #[test]
    fn an_unbound_receiver_is_found() {
        assert_eq!(
            find(
                &[],
                quote!({
                    ctx.emit(1);
                })
            ),
            Some("ctx".into())
        );
        assert_eq!(
            find(
                &[],
                quote!({
                    _ctx.emit(1);
                })
            ),
            Some("_ctx".into())
        );
    }

    #[test]
    fn bound_names_other_methods_and_types_are_not() {
        assert_eq!(
            find(
                &[pat(quote!(ctx))],
                quote!({
                    ctx.emit(1);
                })
            ),
            None
        );
        assert_eq!(
            find(
                &[],
                quote!({
                    let ctx = 1;
                    ctx.emit(1);
                })
            ),
            None
        );
        assert_eq!(
            find(
                &[],
                quote!({
                    xs.iter().for_each(|ctx| ctx.emit(1));
                })
            ),
            None
        );
        assert_eq!(
            find(
                &[],
                quote!({
                    if let Some(ctx) = o {
                        ctx.emit(1);
                    }
                })
            ),
            None
        );
        assert_eq!(
            find(
                &[],
                quote!({
                    ctx.other(1);
                })
            ),
            None
        );
        assert_eq!(
            find(
                &[],
                quote!({
                    Ctx.emit(1);
                })
            ),
            None
        );
        assert_eq!(
            find(
                &[],
                quote!({
                    fn f() {
                        ctx.emit(1);
                    }
                })
            ),
            None
        );
    }

    #[test]
    fn the_first_unbound_receiver_wins() {
        assert_eq!(
            find(
                &[pat(quote!(a))],
                quote!({
                    a.emit(1);
                    b.emit(2);
                    c.emit(3);
                })
            ),
            Some("b".into())
        );
    }
}
