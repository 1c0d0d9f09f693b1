// `input a, b: u32` (one type for several names, as Go writes `a, b int`): one error
// saying to declare each input with its own `input` and type, and both inputs kept. It
// was two errors, "expected `:` and a type after input `a`" and "declare an input with
// the `input` keyword" at `b` (mistakes42).
use workflow_core::prelude::*;

#[node]
async fn add(a: u32, b: u32) -> u32 {
    a + b
}

workflow! {
    struct W {
        input a, b: u32,
        s = add(a, b),
    }
}

fn main() {
    let _ = WInput { a: 1, b: 2 };
}
