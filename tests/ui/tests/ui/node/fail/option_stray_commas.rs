//! A doubled `,` (`max = 3,,`) or one opening a list: one error at each stray `,`,
//! and the options around it are still read (syn said "unexpected token in nested
//! attribute, expected ident" and read nothing after it). The same in a binding's
//! attribute and in `#[workflow_test(..)]`: see `workflow/fail/binding_attr_stray_comma`
//! and `workflow_test/fail/option_stray_comma`.
use workflow_core::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("busy")]
pub struct Busy;

#[node(retry(max = 3,,))]
async fn fetch(url: String) -> Result<String, Busy> {
    Ok(url)
}

#[node(, timeout = "2s", retry(, max = 2, backoff = "1sec"))]
async fn store(url: String) -> Result<String, Busy> {
    Ok(url)
}

fn main() {}
