// `#[workflow_test(store = "memory")]`: a store is the harness's; the error says to
// build a harness with `.store(MemoryStore::new())` in the body.
use workflow_test::prelude::*;

#[node]
async fn one() -> u32 {
    1
}

workflow! {
    #[workflow(durable)]
    struct One {
        n = one(),
    }
}

#[workflow_test(store = "memory")]
async fn durable(h: Harness) {
    h.assert_success(h.execute(One, OneInput {}).await);
}

fn main() {}
