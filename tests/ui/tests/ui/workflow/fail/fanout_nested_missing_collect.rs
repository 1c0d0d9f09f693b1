//! A nested fan-out bound to a name but without its `=> ..`: one error at the inner
//! body's end, naming what to collect; the outer fan-out's `=> inner` adds no "not
//! bound in the body" (the inner one's error explains it).
use workflow_core::prelude::*;

#[node]
async fn double(n: u32) -> u32 {
    n * 2
}

workflow! {
    struct Grid {
        input rows: Vec<Vec<u32>>,
        ds = for row in rows {
            inner = for n in row { d = double(n), },
        } => inner,
    }
}

fn main() {}
