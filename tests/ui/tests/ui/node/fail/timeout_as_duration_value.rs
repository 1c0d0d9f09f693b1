// A `Duration` where the option takes a string: the error names the string.
use std::time::Duration;
use workflow_core::prelude::*;

#[node(timeout = Duration::from_millis(500))]
async fn fetch(url: String) -> usize {
    url.len()
}

workflow! {
    struct W {
        input url: String,
        n = fetch(url),
    }
}

fn main() {
    let _ = Duration::ZERO;
}
