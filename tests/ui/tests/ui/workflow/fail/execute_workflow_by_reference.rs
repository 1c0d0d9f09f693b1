//! `rt.execute(&Etl, ..)`: one error, that `&Etl` is not a workflow, with rustc's
//! suggestion to remove the `&`.
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
    let _ = Runtime::new().execute(&Etl, EtlInput { url: "x".into() }).await;
}
