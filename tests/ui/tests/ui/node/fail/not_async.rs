use workflow_core::prelude::*;

#[node]
fn fetch(url: String) -> String {
    url
}

fn main() {}
