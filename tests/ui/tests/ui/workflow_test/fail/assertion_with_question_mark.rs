// `?` after one of the harness's assertions, which return what they checked (the run,
// the error) and fail the test otherwise: one error per `?`, saying to remove it. It was
// rustc's "the `?` operator can only be applied to values that implement `Try`"
// (mistakes43). The fn is emitted without those `?`s, so rustc adds nothing.
use workflow_test::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("odd")]
struct Odd;

#[node]
async fn even(x: u32) -> Result<u32, Odd> {
    if x % 2 == 0 { Ok(x) } else { Err(Odd) }
}

workflow! {
    struct W {
        input x: u32,
        y = even(x),
    }
}

#[workflow_test]
async fn runs(h: Harness) -> Result<(), WorkflowError> {
    let run = h.assert_success(h.execute(W, WInput { x: 2 }).await)?;
    assert_eq!(run.outputs.y, 2);
    let odd = h.assert_error::<Odd>(h.execute(W, WInput { x: 3 }).await)?;
    println!("{odd}");
    Ok(())
}

fn main() {}
