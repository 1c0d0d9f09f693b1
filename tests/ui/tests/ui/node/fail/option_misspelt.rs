//! A misspelt option (`timout`) says which one was meant.
use workflow_core::prelude::*;

#[node(timout = "1s")]
async fn fetch(url: String) -> String {
    url
}

fn main() {}
