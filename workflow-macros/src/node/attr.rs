//! `#[node(..)]` options: parsed into [`NodeArgs`].

use proc_macro2::{Span, TokenStream};
use syn::spanned::Spanned;

use crate::internals::attr::{crate_path, has_value, path_name, set_once, skip_value};
use crate::internals::policy::PolicyArgs;
use crate::internals::Ctxt;

pub(crate) const NODE_OPTIONS: &str = "`timeout`, `retry(..)`, `spawn`, `spawn_blocking`, `crate`";

/// `#[node(..)]` options, as written.
#[derive(Default)]
pub(crate) struct NodeArgs {
    pub(crate) policy: PolicyArgs,
    /// `crate = path`, where `workflow_core` is re-exported.
    pub(crate) krate: Option<syn::Path>,
    /// `spawn_blocking`: a plain (non-async) fn run on tokio's blocking pool.
    pub(crate) blocking: Option<Span>,
}

/// Parses the tokens inside `#[node(..)]`. Every bad option is recorded in `cx`; the
/// valid ones are kept.
pub(crate) fn parse_args(cx: &Ctxt, args: TokenStream) -> NodeArgs {
    let mut out = NodeArgs::default();
    let parser = syn::meta::parser(|meta| {
        if out.policy.parse_option(&meta, cx)? {
            return Ok(());
        }
        if meta.path.is_ident("spawn_blocking") {
            if has_value(&meta) {
                cx.error_spanned_by(
                    &meta.path,
                    "`spawn_blocking` takes no value; write just `spawn_blocking`",
                );
                return skip_value(&meta);
            }
            if out.blocking.replace(meta.path.span()).is_some() {
                cx.error_spanned_by(
                    &meta.path,
                    "duplicate `spawn_blocking` option; keep only one",
                );
            }
            return Ok(());
        }
        if meta.path.is_ident("crate") {
            match crate_path(&meta) {
                Ok(path) => set_once(&mut out.krate, path, &meta, cx),
                Err(e) => cx.syn_error(e),
            }
            return Ok(());
        }
        cx.error_spanned_by(
            &meta.path,
            format!(
                "unknown `#[node]` option `{}`; expected one of {NODE_OPTIONS}",
                path_name(&meta.path)
            ),
        );
        skip_value(&meta)
    });
    if let Err(e) = syn::parse::Parser::parse2(parser, args) {
        cx.syn_error(e);
    }
    out
}
