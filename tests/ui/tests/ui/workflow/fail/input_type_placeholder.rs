//! An input typed `_`: one error at it, saying the type must be written (not also
//! rustc's "placeholder not allowed" and "type annotations needed").
use workflow_core::prelude::*;

#[node]
async fn shout(text: String) -> String {
    text.to_uppercase()
}

workflow! {
    pub struct Shout {
        input text: _,
        loud = shout(text),
    }
}

fn main() {}
