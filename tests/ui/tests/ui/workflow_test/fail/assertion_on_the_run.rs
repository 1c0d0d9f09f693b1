//! The harness's assertions about nodes called on the `Run`: one error per call that
//! says to call it on the harness, not rustc's "no method named `assert_executed` found
//! for struct `Run`".
use workflow_test::prelude::*;

#[node]
async fn fetch(url: String) -> usize {
    url.len()
}

workflow! {
    struct Etl {
        input url: String,
        a = fetch(url),
        input other: String,
        b = fetch(url: other),
    }
}

#[workflow_test]
async fn asserts_on_the_run(h: Harness) {
    let run = h.assert_success(
        h.execute(Etl, EtlInput { url: "x".into(), other: "y".into() })
            .await,
    );
    run.assert_executed("a", 1);
    run.assert_overlapped("a", "b");
    assert_eq!(run.outputs.a, 1);
}

fn main() {}
