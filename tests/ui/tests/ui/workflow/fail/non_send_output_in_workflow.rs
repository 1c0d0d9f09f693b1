//! A node returning `Rc`, used in a workflow: one error, at the type, not one per bound
//! of the workflow's state.
use std::rc::Rc;
use workflow_core::prelude::*;

#[node]
async fn load(url: String) -> Rc<String> {
    Rc::new(url)
}

workflow! {
    struct Etl {
        input url: String,
        text = load(url),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let _ = Runtime::new().execute(Etl, EtlInput { url: "x".into() }).await;
}
