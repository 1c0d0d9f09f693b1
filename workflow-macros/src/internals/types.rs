//! Reading types the user wrote, for the checks' messages: a type as it is written in
//! Rust, whether a reference is `&'static`, and the owned type a reference stands for.

use quote::ToTokens;
use syn::TypeReference;

/// A type (or any tokens) as text the way Rust is written: `Vec<u8>`, `&'static str`,
/// `dyn Store`, `HashMap<String, u8>`, not `TokenStream::to_string`'s `Vec < u8 >`. A space
/// stays only between two words (`dyn Store`, `'static str`) and after a comma.
pub(crate) fn type_text(ty: &impl ToTokens) -> String {
    let text = ty.to_token_stream().to_string();
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ' ' {
            let before = out.chars().next_back().is_some_and(word);
            let after = chars.peek().is_some_and(|&n| word(n) || n == '\'');
            if !(before && after || out.ends_with(',')) {
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// Whether a reference is `&'static` (which a run may hold: it borrows from no caller).
pub(crate) fn is_static(r: &TypeReference) -> bool {
    r.lifetime.as_ref().is_some_and(|l| l.ident == "static")
}

/// The owned type a reference's target stands for, as text: `String` for `str`, `Vec<T>`
/// for `[T]`, the target itself otherwise (`&Page` → `Page`).
pub(crate) fn owned_text(r: &TypeReference) -> String {
    match &*r.elem {
        syn::Type::Path(p) if p.qself.is_none() && p.path.is_ident("str") => "String".into(),
        syn::Type::Slice(slice) => format!("Vec<{}>", type_text(&slice.elem)),
        elem => type_text(elem),
    }
}

/// The sized type to write where a value of an unsized type was written (a port, an
/// input): `String` for `str`, `Vec<T>` for `[T]`, `Box<dyn Trait + Send>` for `dyn
/// Trait` (`Send` added when missing: a value crosses threads), with its text. `None` for
/// any other type. The type carries `ty`'s span, for whatever rustc says of it.
pub(crate) fn sized_for(ty: &syn::Type) -> Option<(syn::Type, String)> {
    let span = syn::spanned::Spanned::span(ty);
    match ty {
        syn::Type::Paren(p) => sized_for(&p.elem),
        syn::Type::Group(g) => sized_for(&g.elem),
        syn::Type::Path(p) if p.qself.is_none() && p.path.is_ident("str") => Some((
            syn::parse_quote_spanned!(span=> ::std::string::String),
            "String".to_owned(),
        )),
        syn::Type::Slice(slice) => {
            let elem = &slice.elem;
            Some((
                syn::parse_quote_spanned!(span=> ::std::vec::Vec<#elem>),
                format!("Vec<{}>", type_text(elem)),
            ))
        }
        syn::Type::TraitObject(object) => {
            let mut object = object.clone();
            let sends = object.bounds.iter().any(|b| {
                matches!(b, syn::TypeParamBound::Trait(t) if t.path.segments.last().is_some_and(|s| s.ident == "Send"))
            });
            if !sends {
                object.bounds.push(syn::parse_quote!(Send));
            }
            if object.dyn_token.is_none() {
                object.dyn_token = Some(syn::parse_quote!(dyn));
            }
            let bounds: Vec<String> = object.bounds.iter().map(type_text).collect();
            let text = format!("Box<dyn {}>", bounds.join(" + "));
            Some((
                syn::parse_quote_spanned!(span=> ::std::boxed::Box<#object>),
                text,
            ))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unsized_type_gets_the_sized_one_that_holds_it() {
        let sized = |src: &str| sized_for(&syn::parse_str(src).unwrap()).map(|(_, text)| text);
        assert_eq!(sized("str").as_deref(), Some("String"));
        assert_eq!(sized("[u8]").as_deref(), Some("Vec<u8>"));
        assert_eq!(
            sized("dyn std::fmt::Display").as_deref(),
            Some("Box<dyn std::fmt::Display + Send>")
        );
        assert_eq!(
            sized("dyn Fn(u8) + Send + Sync").as_deref(),
            Some("Box<dyn Fn(u8) + Send + Sync>")
        );
        assert_eq!(sized("(dyn Any)").as_deref(), Some("Box<dyn Any + Send>"));
        for sized_type in ["String", "&str", "Vec<u8>", "Box<dyn Any>", "&'static [u8]"] {
            assert_eq!(sized(sized_type), None, "{sized_type}");
        }
    }

    fn reference(src: &str) -> TypeReference {
        syn::parse_str(src).unwrap()
    }

    #[test]
    fn type_text_keeps_spaces_between_words_only() {
        let ty: syn::Type = syn::parse_str("Vec < Option < u8 > >").unwrap();
        assert_eq!(type_text(&ty), "Vec<Option<u8>>");
        let ty: syn::Type = syn::parse_str("& 'static dyn Store").unwrap();
        assert_eq!(type_text(&ty), "&'static dyn Store");
        let ty: syn::Type = syn::parse_str("std :: collections :: HashMap<String, u8>").unwrap();
        assert_eq!(type_text(&ty), "std::collections::HashMap<String, u8>");
    }

    #[test]
    fn static_and_owned() {
        assert!(is_static(&reference("&'static str")));
        assert!(!is_static(&reference("&'a str")));
        assert!(!is_static(&reference("&str")));
        assert_eq!(owned_text(&reference("&str")), "String");
        assert_eq!(owned_text(&reference("&'static [u8]")), "Vec<u8>");
        assert_eq!(owned_text(&reference("&Page")), "Page");
        assert_eq!(owned_text(&reference("&dyn Store")), "dyn Store");
    }
}
