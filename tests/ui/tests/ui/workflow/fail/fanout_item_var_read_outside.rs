// A `for` body's item variable read outside the body: one error saying what it names
// and what to use instead (it was "unknown source `item`; .. or declare `input item`").
use workflow_core::prelude::*;

#[node]
async fn double(x: u32) -> u32 {
    x * 2
}

#[node]
async fn show(v: u32) -> String {
    v.to_string()
}

workflow! {
    struct Doubles {
        input xs: Vec<u32>,
        out = for item in xs {
            d = double(x: item),
        } => d,
        s = show(v: item),
    }
}

fn main() {}
