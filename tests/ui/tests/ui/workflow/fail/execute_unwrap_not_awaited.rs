//! `.unwrap()` on a run that was not awaited: one error at `unwrap`, saying to await
//! first (rustc's own says only that `RunFuture` has no method `unwrap`).
use workflow_core::prelude::*;

#[node]
async fn size(url: String) -> usize {
    url.len()
}

workflow! {
    struct Etl {
        input url: String,
        n = size(url),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let run = Runtime::new().execute(Etl, EtlInput { url: "x".into() }).unwrap();
    assert_eq!(run.outputs.n, 1);
}
