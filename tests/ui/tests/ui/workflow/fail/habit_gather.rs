//! `gather(a(..), b(..))` (Python's `asyncio.gather`, `Promise.all`, `join_all`): one
//! error at the combinator with the bindings to write. It was the ports' "not a call"
//! at each inner call plus rustc's "cannot find macro `gather`": three errors.
use workflow_core::prelude::*;

#[node]
async fn double(n: u32) -> u32 {
    n * 2
}

#[node]
async fn show(n: u32) -> String {
    n.to_string()
}

workflow! {
    struct Both {
        input n: u32,
        both = gather(double(n), show(n)),
        s = show(n),
    }
}

fn main() {
    let _ = |run: Run<BothOutput>| run.outputs.s;
}
