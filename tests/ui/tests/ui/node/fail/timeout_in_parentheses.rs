//! `timeout("1s")`: one error saying the form, `timeout = "250ms"`.
use workflow_core::prelude::*;

#[node(timeout("1s"))]
async fn call(url: String) -> u32 {
    url.len() as u32
}

fn main() {}
