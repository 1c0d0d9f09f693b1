//! Procedural macros of `workflow-core`: `#[node]`, `workflow!` and `#[workflow_test]`.
//!
//! This crate is an implementation detail: depend on `workflow-core` (and
//! `workflow-test` for `#[workflow_test]`), which re-export these macros with their
//! documentation. Each entry point parses, checks and expands in separate modules, never
//! panics on user input, and reports every error of one call in one pass.

mod attrs;
mod duration;
mod errors;
mod node;
mod test_attr;
mod workflow;

use proc_macro::TokenStream;

/// Turns an `async fn` into a workflow node. See `workflow_core::node`.
#[proc_macro_attribute]
pub fn node(args: TokenStream, item: TokenStream) -> TokenStream {
    node::expand(args.into(), item.into()).into()
}

/// Declares a workflow graph. See `workflow_core::workflow!`.
#[proc_macro]
pub fn workflow(input: TokenStream) -> TokenStream {
    workflow::expand(input.into()).into()
}

/// Runs an async test with a watchdog. See `workflow_test::workflow_test`.
#[proc_macro_attribute]
pub fn workflow_test(args: TokenStream, item: TokenStream) -> TokenStream {
    test_attr::expand(args.into(), item.into()).into()
}
