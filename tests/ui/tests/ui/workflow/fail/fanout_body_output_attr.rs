// `#[output]` on a binding of a `for` body: one error saying the body's value is its
// `=> ..` binding (the attribute was ignored: the workflow's output had no such field,
// and nothing said so).
use workflow_core::prelude::*;

#[node]
async fn double(x: u32) -> u32 {
    x * 2
}

#[node]
async fn inc(x: u32) -> u32 {
    x + 1
}

workflow! {
    struct Doubles {
        input xs: Vec<u32>,
        out = for x in xs {
            #[output]
            d = double(x),
            i = inc(x: d),
        } => i,
    }
}

fn main() {
    let _ = DoublesInput { xs: vec![1] };
}
