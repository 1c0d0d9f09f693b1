//! `#[node]` on a fn of a trait: one error, at the attribute.
use workflow_core::prelude::*;

pub trait Fetch {
    #[node]
    async fn fetch(url: String) -> String {
        url
    }
}

fn main() {}
