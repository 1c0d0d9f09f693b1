//! Rust type names (from [`std::any::type_name`]) as a user writes them, for the errors
//! of a resource or a registered future that is missing.

use std::fmt;

/// Whether `type_name` (from [`std::any::type_name`]) names a trait object, which is
/// registered only as an `Arc<dyn Trait>` through `resource_arc`.
pub(crate) fn is_trait_object(type_name: &str) -> bool {
    type_name.starts_with("dyn ")
}

/// What the registered future or closure type `type_name` is, as a user reads it: its
/// path without the `Pin<Box<..>>` around it and without the crate
/// (`Db::connect::{{closure}}` for `app::Db::connect::{{closure}}`), and the fn it is
/// most likely the future of (`Db::connect`; `make` for `app::make::{{closure}}`):
/// `None` when it is a block or closure nested in a fn (two `{{closure}}`s) or a boxed
/// `dyn Future`.
pub(super) fn future_origin(type_name: &str) -> (&str, Option<String>) {
    let mut name = type_name;
    while let Some(inner) = name
        .strip_prefix("core::pin::Pin<")
        .or_else(|| name.strip_prefix("alloc::boxed::Box<"))
        .and_then(|inner| inner.strip_suffix('>'))
    {
        name = inner;
    }
    let shown = match name.split_once("::") {
        Some((_krate, rest)) if !name.starts_with("dyn ") => rest,
        _ => name,
    };
    let origin = name
        .strip_suffix("::{{closure}}")
        .filter(|path| !path.ends_with("}}"))
        .and_then(|path| {
            let mut segments = path.rsplit("::");
            let fn_name = segments.next().filter(|s| !s.is_empty())?;
            Some(match segments.next() {
                Some(owner) if owner.starts_with(char::is_uppercase) => {
                    format!("{owner}::{fn_name}")
                }
                _ => fn_name.to_owned(),
            })
        });
    (shown, origin)
}

/// Prints a [`std::any::type_name`] as it is written in code, without module paths:
/// `alloc::vec::Vec<alloc::string::String>` as `Vec<String>`, `dyn my_app::Rates` as
/// `dyn Rates` (what a user types in `resource_arc::<dyn Rates>`).
pub(crate) struct ShortType<'a>(pub(crate) &'a str);

impl fmt::Display for ShortType<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while !rest.is_empty() {
            // The next run of identifier characters, then what follows it.
            let ident_len = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            let (ident, after) = rest.split_at(ident_len);
            if ident.is_empty() {
                // Punctuation (`<`, `, `, `&`, `>::` of `<T as Tr>::X`): kept as it is.
                let c = after.chars().next().expect("rest is not empty");
                f.write_str(&after[..c.len_utf8()])?;
                rest = &after[c.len_utf8()..];
            } else if let Some(tail) = after.strip_prefix("::") {
                // A module path segment: dropped.
                rest = tail;
            } else {
                f.write_str(ident)?;
                rest = after;
            }
        }
        Ok(())
    }
}
