//! `#[node]`: parse → check → expand.

mod expand;
mod parse;

use proc_macro2::TokenStream;
use quote::quote;

use crate::errors::Errors;

/// Expands `#[node(args)] item`. On error the fn is still emitted unchanged, next to the
/// errors, so it stays callable and IDEs keep working.
pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let item_fn: syn::ItemFn = match syn::parse2(item.clone()) {
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
    let mut errors = Errors::new();
    let node_args = parse::parse_args(args, &mut errors);
    let node = parse::NodeFn::from_item(&item_fn, &mut errors);
    if !errors.is_empty() {
        let err = errors.to_compile_errors();
        return quote!(#item_fn #err);
    }
    expand::expand(&item_fn, &node, &node_args)
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
}
