//! Types that are visibly not `Send` (`Rc<T>`, `rc::Weak<T>`), found by their spelling.
//!
//! Node inputs and outputs and workflow inputs cross threads, so the core traits ask
//! for `Send` in several places; rustc reports one `Rc` there as five or six errors,
//! some spanning the whole `workflow!` call. The macros instead report it once, at the
//! type, saying to use `Arc`, and generate their items with `Arc` in its place, so that
//! no bound reports it again. A user type that merely contains an `Rc` is not seen
//! here; rustc reports that one.

use syn::visit::Visit;
use syn::{GenericArgument, PathArguments, Type, TypePath};

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
    replace_in(&mut ty).then_some(ty)
}

/// Replaces in place (through paths' type arguments, references, slices, arrays,
/// tuples and groups); returns whether anything was replaced.
fn replace_in(ty: &mut Type) -> bool {
    match ty {
        Type::Path(tp) => {
            let mut changed = false;
            for seg in &mut tp.path.segments {
                if let PathArguments::AngleBracketed(args) = &mut seg.arguments {
                    for arg in &mut args.args {
                        if let GenericArgument::Type(t) = arg {
                            changed |= replace_in(t);
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
        Type::Reference(r) => replace_in(&mut r.elem),
        Type::Slice(s) => replace_in(&mut s.elem),
        Type::Array(a) => replace_in(&mut a.elem),
        Type::Paren(p) => replace_in(&mut p.elem),
        Type::Group(g) => replace_in(&mut g.elem),
        Type::Tuple(t) => t.elems.iter_mut().fold(false, |c, t| replace_in(t) | c),
        _ => false,
    }
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
    fn the_message_says_the_fix() {
        let t = ty("Rc<String>");
        let (found, fix) = find(&t).expect("found");
        assert_eq!(
            message("the output", found, fix),
            "the output is `Rc<String>`, which cannot be sent to another thread (`Rc` is not `Send`); the runtime moves values between threads, so use `std::sync::Arc` instead"
        );
    }
}
