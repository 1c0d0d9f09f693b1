//! `.unwrap()` or `.expect(..)` on `start_durable(..)` or `resume(..)` without `.await`:
//! one error each, at the method, saying to await the run first. rustc's own was "no
//! method named `unwrap` found for struct `Pin<Box<dyn Future<..>>>`", with no hint.
use workflow_core::prelude::*;
use workflow_core::store::{MemoryStore, RunId};

#[node]
async fn double(n: u32) -> u32 {
    n * 2
}

workflow! {
    #[workflow(durable)]
    pub struct Docs {
        input n: u32,
        d = double(n),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let rt = Runtime::builder().store(MemoryStore::new()).build();
    let run = rt.start_durable(Docs, DocsInput { n: 1 }, None).unwrap();
    let again = rt.resume(Docs, RunId(1)).expect("resumed");
    let _ = (run, again);
}
