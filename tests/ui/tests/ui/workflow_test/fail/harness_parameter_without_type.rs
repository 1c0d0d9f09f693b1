// `async fn t(h)` (Python's `def test(h):`, mistakes45): rustc's one parse error saying to
// give the parameter a type; the test goes on as `h: Harness`, so ours ("goes on an
// `async fn`") and the body's errors are not added.
use workflow_test::prelude::*;

#[node]
async fn double(x: u32) -> u32 {
    x * 2
}

workflow! {
    struct Twice {
        input x: u32,
        y = double(x),
    }
}

#[workflow_test]
async fn doubles(h) {
    let run = h.assert_success(h.execute(Twice, TwiceInput { x: 2 }).await);
    assert_eq!(run.outputs.y, 4);
}

fn main() {}
