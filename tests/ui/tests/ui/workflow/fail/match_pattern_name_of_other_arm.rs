// A name bound by another arm's pattern: the error names the arm that binds it and what
// this arm's own pattern binds.
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
            Kind::A(a) => { s = show(v: a), }
            Kind::B(b) => { s = show(v: a), }
        }
    }
}

fn main() {}
