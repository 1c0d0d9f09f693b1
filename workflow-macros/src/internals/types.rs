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

/// A concrete type to write for an `impl Trait` port or output, as text, when the trait
/// says which one fits: `Vec<T>` for `impl IntoIterator<Item = T>` (and the `Iterator`
/// traits), `T` for `impl Into<T>`, `String` for `impl AsRef<str>`, `impl Display` and
/// `impl ToString`, `Vec<T>` for `impl AsRef<[T]>`, `PathBuf` for `impl AsRef<Path>`, a
/// shared closure for `impl Fn(A) -> B` (`Arc<dyn Fn(A) -> B + Send + Sync>`; a boxed one
/// for `FnMut`, `FnOnce`), and `T` for `impl Future<Output = T>`. `None` for other traits
/// (a trait of the user's own), whose fix is theirs to name. The first bound that is not
/// a marker (`Send`, `Sync`, `Clone`, `Debug`, `'static`, ..) decides.
pub(crate) fn concrete_for_impl(it: &syn::TypeImplTrait) -> Option<String> {
    let bound = it.bounds.iter().find_map(|b| match b {
        syn::TypeParamBound::Trait(t) => t.path.segments.last().filter(|s| {
            !matches!(
                s.ident.to_string().as_str(),
                "Send"
                    | "Sync"
                    | "Unpin"
                    | "Sized"
                    | "Clone"
                    | "Copy"
                    | "Debug"
                    | "Eq"
                    | "PartialEq"
                    | "Hash"
                    | "Ord"
                    | "PartialOrd"
                    | "Default"
            )
        }),
        _ => None,
    })?;
    let name = bound.ident.to_string();
    let angle: Vec<&syn::GenericArgument> = match &bound.arguments {
        syn::PathArguments::AngleBracketed(a) => a.args.iter().collect(),
        _ => Vec::new(),
    };
    let assoc = |assoc: &str| {
        angle.iter().find_map(|a| match a {
            syn::GenericArgument::AssocType(t) if t.ident == assoc => Some(type_text(&t.ty)),
            _ => None,
        })
    };
    let first_type = angle.iter().find_map(|a| match a {
        syn::GenericArgument::Type(t) => Some(t),
        _ => None,
    });
    match name.as_str() {
        "IntoIterator" | "Iterator" | "ExactSizeIterator" | "DoubleEndedIterator" => {
            assoc("Item").map(|item| format!("Vec<{item}>"))
        }
        "Future" | "IntoFuture" => assoc("Output"),
        "Display" | "ToString" => Some("String".to_owned()),
        "Into" => first_type.map(type_text),
        "AsRef" | "Borrow" => first_type.map(|t| match t {
            syn::Type::Path(p) if p.qself.is_none() && p.path.is_ident("str") => {
                "String".to_owned()
            }
            syn::Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Path") => {
                "PathBuf".to_owned()
            }
            syn::Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "OsStr") => {
                "OsString".to_owned()
            }
            syn::Type::Slice(slice) => format!("Vec<{}>", type_text(&slice.elem)),
            other => type_text(other),
        }),
        "Fn" | "FnMut" | "FnOnce" => {
            let syn::PathArguments::Parenthesized(args) = &bound.arguments else {
                return None;
            };
            let inputs: Vec<String> = args.inputs.iter().map(type_text).collect();
            let output = match &args.output {
                syn::ReturnType::Default => String::new(),
                syn::ReturnType::Type(_, ty) => format!(" -> {}", type_text(ty)),
            };
            let sig = format!("{name}({}){output}", inputs.join(", "));
            Some(if name == "Fn" {
                format!("Arc<dyn {sig} + Send + Sync>")
            } else {
                format!("Box<dyn {sig} + Send>")
            })
        }
        _ => None,
    }
}

/// A trait bound (or an `impl Trait`) as Rust is written: [`type_text`], with spaces
/// around `=`, `->` and `+` (`IntoIterator<Item = u32>`, `Fn(u8) -> u8 + Send`).
pub(crate) fn bound_text(bound: &impl ToTokens) -> String {
    type_text(bound)
        .replace("->", " -> ")
        .replace('=', " = ")
        .replace('+', " + ")
}

/// The trait of an `impl Trait` as a trait object's bounds, `Send` added when missing
/// (`impl Handler` → `Handler + Send`), for the error of a trait no concrete type is
/// guessed for.
pub(crate) fn impl_bounds_text(it: &syn::TypeImplTrait) -> String {
    let mut bounds: Vec<String> = it
        .bounds
        .iter()
        .filter(|b| !matches!(b, syn::TypeParamBound::Lifetime(_)))
        .map(bound_text)
        .collect();
    if !bounds.iter().any(|b| b == "Send") {
        bounds.push("Send".to_owned());
    }
    bounds.join(" + ")
}

/// The Rust type for another language's name of one (`int` → `i64`), and what else
/// the error offers.
pub(crate) fn rust_type_for(name: &str) -> Option<(&'static str, &'static str)> {
    Some(match name {
        "int" | "integer" | "long" => (
            "i64",
            " (or the integer type you need: `u32`, `usize`, `i32`, ..)",
        ),
        "float" | "double" | "number" => ("f64", " (or `f32`)"),
        "boolean" => ("bool", ""),
        "string" => ("String", " (`&'static str` for a literal)"),
        _ => return None,
    })
}

/// A type written in Python's spelling, `list[int]` (the name, then its parameters in
/// brackets), or a union with `None`, `str | None`, as Rust writes it: `Vec<i64>`,
/// `Option<String>`. `name` is what came before the brackets; `params` the tokens inside
/// them. Each parameter is translated in turn (`dict[str, list[int]]` is
/// `HashMap<String, Vec<i64>>`); a name Python and Rust share, or one of the user's
/// types, is kept as written.
pub(crate) fn python_generic(name: &str, params: proc_macro2::TokenStream) -> String {
    let params: Vec<String> = split_params(params).into_iter().map(python_type).collect();
    let joined = params.join(", ");
    match (name, params.len()) {
        ("list" | "List" | "Sequence" | "Iterable" | "Array", _) => format!("Vec<{joined}>"),
        ("dict" | "Dict" | "Mapping" | "Record", _) => {
            format!("std::collections::HashMap<{joined}>")
        }
        ("set" | "Set" | "frozenset", _) => format!("std::collections::HashSet<{joined}>"),
        ("tuple" | "Tuple", 1) => format!("({joined},)"),
        ("tuple" | "Tuple", _) => format!("({joined})"),
        ("Optional", _) => format!("Option<{joined}>"),
        _ => format!("{name}<{joined}>"),
    }
}

/// One parameter of a Python type: `int` → `i64`, `str` → `String`, `list[int]` →
/// `Vec<i64>`; anything else as written.
pub(crate) fn python_type(tokens: proc_macro2::TokenStream) -> String {
    use proc_macro2::{Delimiter, TokenTree};
    let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
    match trees.as_slice() {
        [TokenTree::Ident(name)] => {
            let name = name.to_string();
            match name.as_str() {
                "str" => "String".to_owned(),
                "bytes" => "Vec<u8>".to_owned(),
                _ => rust_type_for(&name).map_or(name, |(rust, _)| rust.to_owned()),
            }
        }
        [TokenTree::Ident(name), TokenTree::Group(g)] if g.delimiter() == Delimiter::Bracket => {
            python_generic(&name.to_string(), g.stream())
        }
        _ => type_text(&tokens),
    }
}

/// The comma-separated parts of `tokens`, at the top level.
fn split_params(tokens: proc_macro2::TokenStream) -> Vec<proc_macro2::TokenStream> {
    let mut parts = vec![proc_macro2::TokenStream::new()];
    for tree in tokens {
        match &tree {
            proc_macro2::TokenTree::Punct(p) if p.as_char() == ',' => {
                parts.push(proc_macro2::TokenStream::new());
            }
            _ => {
                if let Some(last) = parts.last_mut() {
                    last.extend([tree]);
                }
            }
        }
    }
    parts.retain(|p| !p.is_empty());
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_python_type_is_said_as_rust_writes_it() {
        let rust = |name: &str, params: &str| python_generic(name, params.parse().unwrap());
        assert_eq!(rust("list", "int"), "Vec<i64>");
        assert_eq!(rust("List", "str"), "Vec<String>");
        assert_eq!(
            rust("dict", "str, list[float]"),
            "std::collections::HashMap<String, Vec<f64>>"
        );
        assert_eq!(rust("set", "bytes"), "std::collections::HashSet<Vec<u8>>");
        assert_eq!(rust("tuple", "int, bool"), "(i64, bool)");
        assert_eq!(rust("tuple", "Page"), "(Page,)");
        assert_eq!(rust("Optional", "u32"), "Option<u32>");
        // A Rust name written with brackets keeps its name: only the brackets change.
        assert_eq!(rust("Vec", "my::Item"), "Vec<my::Item>");
        assert_eq!(python_type("str".parse().unwrap()), "String");
        assert_eq!(python_type("Page".parse().unwrap()), "Page");
    }

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
