use workflow_core::prelude::*;

// A trait object by value: one error saying to box it (not rustc's unsized-parameter
// and `Send` errors, once in the fn and again in each generated item).
#[node]
async fn render(value: dyn std::fmt::Display) -> String {
    value.to_string()
}

#[node]
async fn shout(text: str) -> String {
    text.to_uppercase()
}

fn main() {}
