// Settings of a run (`cancel_grace`, `trace`) or of the runtime (`max_concurrent_nodes`)
// written as workflow options: each error says where the setting goes.
use workflow_core::prelude::*;

#[node]
async fn inc(x: u32) -> u32 {
    x + 1
}

workflow! {
    #[workflow(cancel_grace = "1s", max_concurrent_nodes = 4, trace = true)]
    struct W {
        input x: u32,
        y = inc(x),
    }
}

fn main() {}
