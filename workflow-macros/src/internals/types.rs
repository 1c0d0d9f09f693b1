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

#[cfg(test)]
mod tests {
    use super::*;

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
