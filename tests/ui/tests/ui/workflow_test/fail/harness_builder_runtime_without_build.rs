// `.build()` left out before `h.runtime()` (to start a durable run through the harness):
// one error saying to finish the builder, as for `execute` (it was rustc's "no method
// named `runtime` found for struct `HarnessBuilder`", labelled "private field, not a
// method").
use workflow_core::store::MemoryStore;
use workflow_test::prelude::*;

#[node]
async fn inc(x: u32) -> u32 {
    x + 1
}

workflow! {
    #[workflow(durable)]
    struct W {
        input x: u32,
        y = inc(x),
    }
}

#[workflow_test]
async fn starts_durably() {
    let h = Harness::builder().store(MemoryStore::new());
    let run = h.runtime().start_durable(W, WInput { x: 1 }, None).await.unwrap();
    assert_eq!(run.outputs.y, 2);
}

fn main() {}
