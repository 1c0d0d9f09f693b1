// Other libraries' names for the runtime's and a run's API (mistakes42): the builder's
// `concurrency(4)` for `max_concurrent_nodes`, `rt.spawn(..)` for spawning the run's
// future, `rt.execute_durable(..)` for `start_durable`, `with_store(..)` for `store`, and
// `run.is_success()` on a run, which succeeded. One error at each, saying what to write
// (each was rustc's "no method named .." with no hint).
use workflow_core::prelude::*;

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

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let rt = Runtime::builder().concurrency(4).build();
    let handle = rt.spawn(W, WInput { x: 1 });
    let durable = Runtime::builder().with_store(MemoryStore::new()).build();
    let started = durable.execute_durable(W, WInput { x: 1 }).await.unwrap();
    let run = rt.execute(W, WInput { x: 1 }).await.unwrap();
    assert!(run.is_success());
    let _ = (handle, started);
}
