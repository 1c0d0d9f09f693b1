// `#[retry(..)]` on a test fn: a test is not retried, a node is. One error at the
// attribute, saying where retries go (not rustc's "cannot find attribute `retry`").
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
#[retry(max = 3)]
async fn doubles(h: Harness) {
    let run = h.assert_success(h.execute(Twice, TwiceInput { x: 2 }).await);
    assert_eq!(run.outputs.y, 4);
}

fn main() {}
