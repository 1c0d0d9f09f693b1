//! `#[node]` on an associated fn (no `self`) in an `impl` block: one error, at the
//! attribute, saying it belongs at module scope (not one per generated item).
use workflow_core::prelude::*;

pub struct Api;

impl Api {
    #[node]
    async fn fetch(url: String) -> String {
        url
    }
}

fn main() {}
