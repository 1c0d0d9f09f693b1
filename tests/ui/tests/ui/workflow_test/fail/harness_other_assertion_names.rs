// Other kits' names for the harness's node assertions: `h.assert_called("x")` and
// `h.assert_ran("x")` for `assert_executed("x", n)` (rustc pointed at a mock's `as_call`),
// `h.assert_skipped("y")` and `h.assert_not_run("y")` for `assert_not_executed("y")`
// (rustc said only "no method named"). One error each naming what to write (mistakes43).
use workflow_test::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("odd")]
struct Odd;

#[node]
async fn even(x: u32) -> Result<u32, Odd> {
    if x % 2 == 0 { Ok(x) } else { Err(Odd) }
}

#[node]
async fn half(y: u32) -> u32 {
    y / 2
}

workflow! {
    struct W {
        input x: u32,
        y = even(x),
        z = half(y),
    }
}

#[workflow_test]
async fn names(h: Harness) {
    h.assert_failure(h.execute(W, WInput { x: 3 }).await);
    h.assert_called("y");
    h.assert_ran("y");
    h.assert_skipped("z");
    h.assert_not_run("z");
}

fn main() {}
