// `?` in a test that returns `()` (Python's tests raise; `#[tokio::test]` users add `?`
// and forget the return type): one error at the first `?`, saying how to declare the
// test or to assert in place. It was rustc's "the `?` operator can only be used in an
// async function that returns `Result`", once per `?` (mistakes43). The `?`s inside the
// closure and the async block return from there: not counted. The fn emitted with the
// error returns a `Result`, so rustc adds nothing.
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
async fn two_runs(h: Harness) {
    let a = h.execute(W, WInput { x: 1 }).await?;
    let b = h.execute(W, WInput { x: 2 }).await?;
    let parse = |s: &str| -> Result<u32, std::num::ParseIntError> { Ok(s.parse::<u32>()? + 1) };
    let later = async { Ok::<u32, std::num::ParseIntError>("3".parse::<u32>()?) };
    assert_eq!(a.outputs.y + b.outputs.y, parse("4").unwrap());
    let _ = later;
}

fn main() {}
