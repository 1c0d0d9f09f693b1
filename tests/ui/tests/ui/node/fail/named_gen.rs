// Edition 2024 reserves `gen`: a node fn named `gen` is one error, rustc's, at the fn's
// name (with its hint, `r#gen`). The node's generated items and the workflow calling it
// name it `r#gen`, so they add nothing.
use workflow_core::prelude::*;

#[node]
async fn gen(seed: u64) -> u64 {
    seed * 31 + 7
}

workflow! {
    struct Pipeline {
        input seed: u64,
        value = gen(seed),
    }
}

fn main() {
    let _ = Runtime::new().execute(Pipeline, PipelineInput { seed: 3 });
}
