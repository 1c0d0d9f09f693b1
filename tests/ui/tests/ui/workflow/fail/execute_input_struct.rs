//! Passing the input struct where the workflow goes: the note says to pass both.
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
    let _ = Runtime::new().execute(EtlInput { url: "x".into() }).await;
}
