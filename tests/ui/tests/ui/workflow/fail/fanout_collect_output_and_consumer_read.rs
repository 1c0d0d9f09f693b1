// A `#[failure = "collect"]` fan-out kept as an `#[output]` and taken by a node: one
// error, at the consumer. The test reading `run.outputs.each` adds nothing (its field
// was `()` next to the error: "no method named `iter` found for unit type `()`").
use workflow_core::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("bad value {0}")]
struct BadValue(u32);

#[node]
async fn check(x: u32) -> Result<u32, BadValue> {
    if x == 13 { Err(BadValue(x)) } else { Ok(x) }
}

#[node]
async fn count_ok(rs: Vec<Result<u32, WorkflowError>>) -> usize {
    rs.iter().filter(|r| r.is_ok()).count()
}

workflow! {
    struct Collect {
        input xs: Vec<u32>,
        #[failure = "collect"]
        #[output]
        each = for x in xs {
            c = check(x),
        } => c,
        n = count_ok(rs: each),
    }
}

#[tokio::main]
async fn main() {
    let run = Runtime::new().execute(Collect, CollectInput { xs: vec![13, 1] }).await.unwrap();
    assert_eq!(run.outputs.n, 1);
    let failed = run.outputs.each.iter().filter(|r| r.is_err()).count();
    assert_eq!(failed, 1);
}
