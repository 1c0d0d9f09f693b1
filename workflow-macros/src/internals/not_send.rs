//! Types that are visibly not `Send` (`Rc<T>`, `rc::Weak<T>`, a `dyn` of std traits
//! without `+ Send`), found by their spelling.
//!
//! Node inputs and outputs and workflow inputs cross threads, so the core traits ask
//! for `Send` in several places; rustc reports one `Rc` there as five or six errors,
//! some spanning the whole `workflow!` call. The macros instead report it once, at the
//! type, saying to use `Arc`, and generate their items with `Arc` in its place, so that
//! no bound reports it again. A user type that merely contains an `Rc` is not seen
//! here; rustc reports that one.

use syn::visit::Visit;
use syn::{GenericArgument, PathArguments, Type, TypePath, TypeTraitObject};

/// The first part of `ty` that is an `Rc<..>` or `rc::Weak<..>`, with the fix to say.
pub(crate) fn find(ty: &Type) -> Option<(&TypePath, &'static str)> {
    struct Finder<'a>(Option<(&'a TypePath, &'static str)>);
    impl<'a> Visit<'a> for Finder<'a> {
        fn visit_type_path(&mut self, tp: &'a TypePath) {
            if self.0.is_none() {
                if let Some(fix) = replacement(tp) {
                    self.0 = Some((tp, fix.1));
                    return;
                }
            }
            syn::visit::visit_type_path(self, tp);
        }
    }
    let mut f = Finder(None);
    f.visit_type(ty);
    f.0
}

/// `ty` with every `Rc<T>` made `::std::sync::Arc<T>` (and `rc::Weak<T>`
/// `::std::sync::Weak<T>`), or `None` when it has none.
pub(crate) fn sendable(ty: &Type) -> Option<Type> {
    let mut ty = ty.clone();
    replace_in(&mut ty, true).then_some(ty)
}

/// Replaces in place (through paths' type arguments, references, slices, arrays,
/// tuples and groups); returns whether anything was replaced. A `dyn` gets `+ Send`
/// only where `dyn_too`: not in the error type of a `Result`, whose own checks say
/// what it must be (`Box<dyn Error + Send + Sync>`).
fn replace_in(ty: &mut Type, dyn_too: bool) -> bool {
    match ty {
        Type::Path(tp) => {
            let mut changed = false;
            for seg in &mut tp.path.segments {
                let result = seg.ident == "Result";
                if let PathArguments::AngleBracketed(args) = &mut seg.arguments {
                    for (i, arg) in args.args.iter_mut().enumerate() {
                        if let GenericArgument::Type(t) = arg {
                            changed |= replace_in(t, dyn_too && !(result && i == 1));
                        }
                    }
                }
            }
            if let Some((path, _)) = replacement(tp) {
                let args = tp.path.segments.last().map(|s| s.arguments.clone());
                let mut new: syn::Path = syn::parse_str(path).expect("a valid path");
                if let (Some(last), Some(args)) = (new.segments.last_mut(), args) {
                    last.arguments = args;
                }
                tp.path = new;
                changed = true;
            }
            changed
        }
        Type::Reference(r) => replace_in(&mut r.elem, dyn_too),
        Type::Slice(s) => replace_in(&mut s.elem, dyn_too),
        Type::Array(a) => replace_in(&mut a.elem, dyn_too),
        Type::Paren(p) => replace_in(&mut p.elem, dyn_too),
        Type::Group(g) => replace_in(&mut g.elem, dyn_too),
        Type::Tuple(t) => t
            .elems
            .iter_mut()
            .fold(false, |c, t| replace_in(t, dyn_too) | c),
        Type::TraitObject(object) if dyn_too && lacks_send(object) => {
            object.bounds.push(syn::parse_quote!(::core::marker::Send));
            object.bounds.push(syn::parse_quote!(::core::marker::Sync));
            true
        }
        _ => false,
    }
}

/// The first `dyn` in `ty` of std traits only (`dyn Fn(u32) -> u32`, `dyn Display`)
/// without `+ Send`, and the bounds to add: `+ Send` in a `Box`, `+ Send + Sync`
/// elsewhere (an `Arc<T>` is `Send` only when `T` is `Sync` too). A `dyn` of a trait
/// of the user's is not seen: it may have `Send` as a supertrait.
pub(crate) fn find_dyn(ty: &Type) -> Option<(&TypeTraitObject, &'static str)> {
    struct Finder<'a> {
        found: Option<(&'a TypeTraitObject, &'static str)>,
        in_box: bool,
    }
    impl<'a> Visit<'a> for Finder<'a> {
        fn visit_type_path(&mut self, tp: &'a TypePath) {
            let in_box = self.in_box;
            self.in_box =
                tp.qself.is_none() && tp.path.segments.last().is_some_and(|s| s.ident == "Box");
            syn::visit::visit_type_path(self, tp);
            self.in_box = in_box;
        }
        fn visit_type_trait_object(&mut self, object: &'a TypeTraitObject) {
            if self.found.is_none() && lacks_send(object) {
                let fix = if self.in_box {
                    "+ Send"
                } else {
                    "+ Send + Sync"
                };
                self.found = Some((object, fix));
            }
        }
    }
    let mut f = Finder {
        found: None,
        in_box: false,
    };
    f.visit_type(ty);
    f.found
}

/// Whether a `dyn` names only std traits that do not imply `Send`, and not `Send`.
fn lacks_send(object: &TypeTraitObject) -> bool {
    const STD_TRAITS: &[&str] = &[
        "Fn", "FnMut", "FnOnce", "Any", "Display", "Debug", "Iterator", "Future", "Error", "Read",
        "Write", "BufRead",
    ];
    object.dyn_token.is_some()
        && object.bounds.iter().all(|b| match b {
            syn::TypeParamBound::Trait(t) => t
                .path
                .segments
                .last()
                .is_some_and(|s| STD_TRAITS.contains(&s.ident.to_string().as_str())),
            _ => true,
        })
}

/// The message for a `dyn` without `+ Send` found in `what`, with the bounds to add.
pub(crate) fn dyn_message(what: &str, found: &TypeTraitObject, fix: &str) -> String {
    let written =
        crate::internals::types::type_text(&Type::TraitObject(found.clone())).replace("->", " -> ");
    format!(
        "{what} holds `{written}`, which cannot be sent to another thread; the runtime moves values between threads, so write `{written} {fix}`"
    )
}

/// The `Send` replacement of a path type and the name to suggest, if it is `Rc<T>`,
/// `std::rc::Rc<T>` or `rc::Weak<T>` (a bare `Weak` may be `sync::Weak`).
fn replacement(tp: &TypePath) -> Option<(&'static str, &'static str)> {
    if tp.qself.is_some() {
        return None;
    }
    let segs: Vec<String> = tp
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    let last = tp.path.segments.last()?;
    let one_type = matches!(&last.arguments, PathArguments::AngleBracketed(a)
        if a.args.len() == 1 && matches!(a.args[0], GenericArgument::Type(_)));
    if !one_type {
        return None;
    }
    let after_rc = segs.len() > 1 && segs[segs.len() - 2] == "rc";
    match segs.last()?.as_str() {
        "Rc" if segs.len() == 1 || after_rc => Some(("::std::sync::Arc", "Arc")),
        "Weak" if after_rc => Some(("::std::sync::Weak", "sync::Weak")),
        _ => None,
    }
}

/// The message for a non-`Send` type found in `what` (e.g. "input port `text`").
pub(crate) fn message(what: &str, found: &TypePath, fix: &str) -> String {
    let written = quote::ToTokens::to_token_stream(found)
        .to_string()
        .replace(" < ", "<")
        .replace(" >", ">")
        .replace("< ", "<")
        .replace(" :: ", "::");
    let kind = if fix == "Arc" { "Rc" } else { "rc::Weak" };
    format!(
        "{what} is `{written}`, which cannot be sent to another thread (`{kind}` is not `Send`); the runtime moves values between threads, so use `std::sync::{fix}` instead"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(s: &str) -> Type {
        syn::parse_str(s).expect("a type")
    }

    #[test]
    fn finds_rc_anywhere_and_replaces_it() {
        for (src, out) in [
            ("Rc<String>", ":: std :: sync :: Arc < String >"),
            ("std::rc::Rc<u8>", ":: std :: sync :: Arc < u8 >"),
            (
                "Vec<Option<Rc<u8>>>",
                "Vec < Option < :: std :: sync :: Arc < u8 > > >",
            ),
            ("rc::Weak<u8>", ":: std :: sync :: Weak < u8 >"),
        ] {
            assert!(find(&ty(src)).is_some(), "{src}");
            let t = sendable(&ty(src)).expect("replaced");
            assert_eq!(quote::quote!(#t).to_string(), out);
        }
    }

    #[test]
    fn leaves_send_types_alone() {
        for src in [
            "Arc<String>",
            "Weak<u8>",
            "sync::Weak<u8>",
            "my::Rc<u8>",
            "Rc",
            "String",
        ] {
            assert!(find(&ty(src)).is_none(), "{src}");
            assert!(sendable(&ty(src)).is_none(), "{src}");
        }
    }

    #[test]
    fn a_dyn_of_std_traits_without_send_gets_send() {
        let t = ty("Box<dyn Fn(u32) -> u32>");
        let (found, fix) = find_dyn(&t).expect("found");
        assert_eq!(fix, "+ Send");
        assert_eq!(
            dyn_message("input port `f`", found, fix),
            "input port `f` holds `dyn Fn(u32) -> u32`, which cannot be sent to another thread; the runtime moves values between threads, so write `dyn Fn(u32) -> u32 + Send`"
        );
        let t = ty("Vec<Arc<dyn std::fmt::Display>>");
        assert_eq!(find_dyn(&t).map(|f| f.1), Some("+ Send + Sync"));
        assert!(sendable(&t).is_some());
        // A `Result`'s error type is left to its own checks.
        assert!(sendable(&ty("Result<u32, Box<dyn Error>>")).is_none());
        for src in [
            "Box<dyn Fn(u32) -> u32 + Send>",
            "Arc<dyn Display + Send + Sync>",
            "Box<dyn MyTrait>",
            "Box<dyn Fn() + Sync + MyMarker>",
            "Box<u32>",
        ] {
            assert!(find_dyn(&ty(src)).is_none(), "{src}");
            assert!(sendable(&ty(src)).is_none(), "{src}");
        }
    }

    #[test]
    fn the_message_says_the_fix() {
        let t = ty("Rc<String>");
        let (found, fix) = find(&t).expect("found");
        assert_eq!(
            message("the output", found, fix),
            "the output is `Rc<String>`, which cannot be sent to another thread (`Rc` is not `Send`); the runtime moves values between threads, so use `std::sync::Arc` instead"
        );
    }
}
