//! `workflow!`: parse → check → expand.

mod ast;
mod check;
mod expand;

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
    if !errors.is_empty() {
        let errors = errors.to_compile_errors();
        let fallback = expand::fallback(&def, &graph);
        return quote::quote!(#errors #fallback);
    }
    expand::expand(&def, &graph)
}
