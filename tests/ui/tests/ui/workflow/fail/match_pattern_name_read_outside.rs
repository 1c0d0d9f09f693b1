// A name bound by an arm's pattern, read after the `match`: one error saying it exists
// only inside that arm (it was "unknown source `v`; did you mean `x`?").
use workflow_core::prelude::*;

#[derive(Debug, Clone)]
enum Kind {
    A(u32),
    B(u32),
}

#[node]
async fn classify(x: u32) -> Kind {
    if x > 1 {
        Kind::A(x)
    } else {
        Kind::B(x)
    }
}

#[node]
async fn show(v: u32) -> String {
    v.to_string()
}

workflow! {
    struct Routed {
        input x: u32,
        k = classify(x),
        match k {
            Kind::A(v) => { s = show(v), }
            Kind::B(w) => { s = show(v: w), }
        }
        again = show(v),
    }
}

fn main() {}
