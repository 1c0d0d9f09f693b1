//! `workflow!`: parse → check → expand.

mod ast;
mod check;
mod expand;
mod render;

use proc_macro2::TokenStream;

use crate::errors::Errors;

/// Expands `workflow! { .. }`. Every graph error of the call is reported at once, next
/// to the workflow's types (see [`expand::fallback`]) so that code using them stays quiet.
pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let def: ast::WorkflowDef = match syn::parse2(input) {
        Ok(def) => def,
        Err(e) => return e.to_compile_error(),
    };
    let mut errors = Errors::new();
    let graph = check::check(&def, &mut errors);
    if !def.syntax_errors.is_empty() {
        // Graph checks of a partly parsed workflow would report follow-on errors (a
        // source defined by an entry that did not parse), so only the syntax is reported.
        errors = Errors::new();
        for e in &def.syntax_errors {
            errors.push(e.clone());
        }
    }
    if !errors.is_empty() {
        let errors = errors.to_compile_errors();
        let fallback = expand::fallback(&def, &graph);
        return quote::quote!(#errors #fallback);
    }
    expand::expand(&def, &graph)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn graph_errors_come_with_the_workflow_types() {
        let out = expand(quote! {
            pub struct Etl { input url: String, page = fetch(url), sum = total(items: nothing) }
        })
        .to_string();
        assert!(out.contains("compile_error"), "{out}");
        assert!(out.contains("unknown source `nothing`"), "{out}");
        for item in [
            "pub struct Etl ;",
            "pub struct EtlInput",
            "pub struct EtlOutput",
            "Workflow for Etl",
        ] {
            assert!(out.contains(item), "missing `{item}` in {out}");
        }
    }

    #[test]
    fn syntax_errors_are_one_spanned_error() {
        let out = expand(quote! { struct W { input u: u8, a = f(x = u) } }).to_string();
        assert_eq!(out.matches("compile_error").count(), 1, "{out}");
        assert!(
            out.contains("connect a port with `:`, like `x: source`"),
            "{out}"
        );
    }

    #[test]
    fn each_edge_gets_its_own_named_check() {
        let out = expand(quote! {
            struct W { input u: u8, a = f(u), b = g(x: a, y: u) }
        })
        .to_string();
        assert!(!out.contains("compile_error"), "{out}");
        assert!(out.contains("edge `u -> a.u`"), "{out}");
        assert!(out.contains("edge `a -> b.x`"), "{out}");
        assert!(out.contains("edge `u -> b.y`"), "{out}");
        assert!(out.contains("__WorkflowEdge2"), "{out}");
    }

    #[test]
    fn odd_inputs_are_errors_not_panics() {
        let cases = [
            "",
            "struct",
            "struct W",
            "struct W {}",
            "struct W { , }",
            "struct W { a = }",
            "struct W { a = f }",
            "struct W { a = f(x.0) }",
            "struct W { a = f(x:) }",
            "struct W { a = f(x: 1) }",
            "struct W { input }",
            "struct W { input x: }",
            "struct W { a = f() } struct V { b = g() }",
            "#[workflow] struct W { a = f() }",
            "#[workflow = \"x\"] struct W { a = f() }",
            "#[workflow(timeout)] struct W { a = f() }",
            "#[workflow(timeout = )] struct W { a = f() }",
            "#[workflow(crate = 5)] struct W { a = f() }",
            "struct W { #[retry] a = f() }",
            "struct W { #[retry(max)] a = f() }",
            "struct W { #[timeout] a = f() }",
            "struct W { #[output(x)] a = f() }",
            "struct W { #[input] input x: u8, a = f(x) }",
            "struct W { a = f(a.b.c.d) }",
            "enum W { a = f() }",
        ];
        for case in cases {
            let tokens: TokenStream = case.parse().expect("lexes");
            let out = expand(tokens).to_string();
            assert!(
                out.contains("compile_error"),
                "no error for `{case}`: {out}"
            );
        }
    }
}
