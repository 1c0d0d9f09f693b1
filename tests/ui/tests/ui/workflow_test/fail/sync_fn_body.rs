// A sync test fn: "add `async`" is its one error; its body, written for a sync fn
// (`h.execute(..)` without `.await`), is not checked until then.
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
fn doubles(h: Harness) {
    let run = h.assert_success(h.execute(Twice, TwiceInput { x: 1 }));
    assert_eq!(run.outputs.y, 2);
}

fn main() {}
