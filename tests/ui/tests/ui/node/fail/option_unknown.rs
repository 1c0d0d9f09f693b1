//! A bad option is reported once; the node is still usable in a workflow (no
//! follow-on errors there).
use workflow_core::prelude::*;

#[node(timeout = "1s", retries = 3)]
async fn fetch(url: String) -> String {
    url
}

workflow! {
    struct Pipeline {
        input url: String,
        page = fetch(url),
    }
}

fn main() {}
