//! The one place where a macro call's errors are collected, so that every phase (parse,
//! resolve, check) reports into it and the call shows all its errors in one pass.
//! Modeled on serde_derive's `internals::Ctxt`.

use std::cell::RefCell;
use std::fmt::Display;

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;

/// Collects spanned errors in the order they are found. Shared by `&` reference (the
/// errors sit in a `RefCell`), so closures handed to syn's parsers can report too.
#[derive(Default)]
pub(crate) struct Ctxt {
    errors: RefCell<Vec<syn::Error>>,
}

impl Ctxt {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Records an error spanning `tokens` (its first to last token).
    pub(crate) fn error_spanned_by(&self, tokens: impl ToTokens, message: impl Display) {
        self.syn_error(syn::Error::new_spanned(tokens, message));
    }

    /// Records an error spanning `tokens` unless one with the same message was recorded:
    /// a habit repeated in one call (`page.items[0]`, `page.items[1]`) is one mistake,
    /// reported once, at its first use.
    pub(crate) fn error_once_spanned_by(&self, tokens: impl ToTokens, message: impl Display) {
        let message = message.to_string();
        let seen = self
            .errors
            .borrow()
            .iter()
            .any(|e| e.to_string() == message);
        if !seen {
            self.error_spanned_by(tokens, message);
        }
    }

    /// Records an error at `span` unless one whose message begins with `kind` was
    /// recorded: a slip repeated in several places (each arm of a `match`) is reported
    /// once, at its first, with a message that may name what that first one wrote.
    pub(crate) fn error_once_of_kind(&self, span: Span, kind: &str, message: impl Display) {
        let seen = self
            .errors
            .borrow()
            .iter()
            .any(|e| e.to_string().starts_with(kind));
        if !seen {
            self.error_at(span, message);
        }
    }

    /// Records an error at `span`.
    pub(crate) fn error_at(&self, span: Span, message: impl Display) {
        self.syn_error(syn::Error::new(span, message));
    }

    /// Records an error syn produced (or one built elsewhere).
    pub(crate) fn syn_error(&self, error: syn::Error) {
        self.errors.borrow_mut().push(error);
    }

    pub(crate) fn has_errors(&self) -> bool {
        !self.errors.borrow().is_empty()
    }

    /// How many errors were recorded so far; a phase compares counts to learn whether it
    /// added any.
    pub(crate) fn error_count(&self) -> usize {
        self.errors.borrow().len()
    }

    /// The errors as `compile_error!` invocations, in the order they were recorded
    /// (empty when there are none).
    pub(crate) fn to_compile_errors(&self) -> TokenStream {
        self.errors
            .borrow()
            .iter()
            .map(syn::Error::to_compile_error)
            .collect()
    }

    /// The messages of the errors, in the order they were recorded.
    #[cfg(test)]
    pub(crate) fn messages(&self) -> Vec<String> {
        self.errors
            .borrow()
            .iter()
            .flat_map(|e| e.clone().into_iter().map(|e| e.to_string()))
            .collect()
    }
}
