// `nick?` on an `input nick: Option<String>` (a Python `Optional`, or Rust's `?` read as
// unwrapping it): one error at the `?` saying the input is passed whole and how to run
// the node only when it has a value (a `match` on it) or to take the `Option`.
use workflow_core::prelude::*;

#[node]
async fn greet(name: String) -> String {
    name
}

workflow! {
    struct Hello {
        input nick: Option<String>,
        g = greet(name: nick?),
    }
}

fn main() {
    let out = HelloOutput { g: String::new() };
    println!("{out:?}");
}
