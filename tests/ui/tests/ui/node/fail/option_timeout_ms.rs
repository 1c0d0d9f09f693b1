//! `timeout_ms = 500`: one error that shows the `timeout = ".."` duration string.
use workflow_core::prelude::*;

#[node(timeout_ms = 500)]
async fn fetch(url: String) -> String {
    url
}

fn main() {}
