// `[grab(url) for url in urls]` (Python's list comprehension, with or without a filter)
// as a binding's value: one error saying to write a `for` fan-out, with the user's call,
// variable and list. It was "expected the `#[node]` fn that `imgs` runs" (mistakes43).
use workflow_core::prelude::*;

#[node]
async fn grab(url: String) -> Vec<u8> {
    url.into_bytes()
}

workflow! {
    struct Gallery {
        input urls: Vec<String>,
        imgs = [grab(url) for url in urls if !url.is_empty()],
    }
}

fn main() {}
