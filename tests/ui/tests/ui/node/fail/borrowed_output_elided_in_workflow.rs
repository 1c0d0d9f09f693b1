//! `-> &str` with nothing to borrow from, in a workflow: rustc's E0106 at the fn is the
//! one error; the call `name(s)` adds none (its ports are checked as the fixed fn's).
use workflow_core::prelude::*;

#[node]
async fn name(s: String) -> &str {
    let _ = s;
    "x"
}

#[node]
async fn shout(text: String) -> String {
    text.to_uppercase()
}

workflow! {
    struct Names {
        input s: String,
        n = name(s),
        loud = shout(text: n),
    }
}

fn main() {}
