//! A fan-out written as a Rust loop, with no `name =` before its `for`: at the top level,
//! and nested in another fan-out's body (where the outer one collects what the inner one
//! binds). One error each, at the `for`, with the binding to write; before, `for` was
//! "a Rust keyword [that] cannot name an input or binding", and the outer fan-out's
//! `=> d` added "`d` is not bound in the body".
use workflow_core::prelude::*;

#[node]
async fn double(n: u32) -> u32 {
    n * 2
}

workflow! {
    struct Flat {
        input ns: Vec<u32>,
        for n in ns { d = double(n), } => d,
    }
}

workflow! {
    struct Grid {
        input rows: Vec<Vec<u32>>,
        ds = for row in rows {
            for n in row { d = double(n), }
        } => d,
    }
}

fn main() {}
