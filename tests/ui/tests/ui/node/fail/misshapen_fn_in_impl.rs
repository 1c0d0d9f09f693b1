//! A misshapen fn (here not `async`) in an `impl` block: one error, that the node
//! belongs at module scope; its own error comes once it is moved out.
use workflow_core::prelude::*;

pub struct Api;

impl Api {
    #[node]
    fn fetch(url: &str) -> String {
        url.to_string()
    }
}

fn main() {}
