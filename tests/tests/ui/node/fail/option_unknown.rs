use workflow_core::prelude::*;

#[node(timeout = "1s", retries = 3)]
async fn fetch(url: String) -> String {
    url
}

fn main() {}
