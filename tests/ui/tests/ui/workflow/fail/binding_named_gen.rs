// Edition 2024 reserves `gen`: a binding named `gen` is one error, rustc's, at the
// binding (with its hint, `r#gen`); the workflow's other uses of the name, generated
// as `r#gen`, add nothing, and the workflow's items are all there.
use workflow_core::prelude::*;

#[node]
async fn generate(seed: u64) -> u64 {
    seed * 31 + 7
}

#[node]
async fn check(x: u64) -> bool {
    x % 2 == 1
}

workflow! {
    struct Pipeline {
        input seed: u64,
        gen = generate(seed),
        ok = check(x: gen),
    }
}

fn main() {
    let _ = Runtime::new().execute(Pipeline, PipelineInput { seed: 3 });
}
