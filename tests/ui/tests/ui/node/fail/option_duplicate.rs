use workflow_core::prelude::*;

#[node(timeout = "1s", timeout = "2s", spawn, spawn)]
async fn fetch(url: String) -> String {
    url
}

fn main() {}
