// `try { .. } except { .. }` (Python's; `catch` likewise) around entries: one error
// saying how a workflow handles a failure. It was "`try` is a Rust keyword and cannot
// name an input or binding; choose another name" (mistakes43).
use workflow_core::prelude::*;

#[node]
async fn fetch(url: String) -> Option<String> {
    Some(url)
}

#[node]
async fn cached(url: String) -> Option<String> {
    Some(url)
}

workflow! {
    struct Safe {
        input url: String,
        try {
            page = fetch(url),
        } except {
            page = cached(url),
        }
    }
}

fn main() {}
