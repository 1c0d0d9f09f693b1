// A test declared `-> Result<(), WorkflowError>` whose body ends with a statement (it
// uses `?` and forgets `Ok(())`): one error at that statement, saying to end the body
// with `Ok(())`. It was rustc's "mismatched types: expected `Result<(), WorkflowError>`,
// found `()`" over the whole body (mistakes42).
use workflow_test::prelude::*;

#[node]
async fn inc(x: u32) -> u32 {
    x + 1
}

workflow! {
    struct W {
        input x: u32,
        y = inc(x),
    }
}

#[workflow_test]
async fn runs(h: Harness) -> Result<(), WorkflowError> {
    let run = h.execute(W, WInput { x: 1 }).await?;
    assert_eq!(run.outputs.y, 2);
}

fn main() {}
