//! `h.start_durable(..)` / `h.resume(..)` / `h.recover(..)` on the harness: durable runs
//! go through its runtime (`h.runtime().start_durable(..)`); one error per call that
//! says so, not rustc's "no method named `start_durable` found for struct `Harness`".
use workflow_core::store::{MemoryStore, RunId};
use workflow_test::prelude::*;

#[node]
async fn fetch(url: String) -> usize {
    url.len()
}

workflow! {
    #[workflow(durable)]
    struct Weather {
        input url: String,
        n = fetch(url),
    }
}

#[workflow_test]
async fn durable_runs() {
    let h = Harness::builder().store(MemoryStore::new()).build();
    let run = h
        .start_durable(Weather, WeatherInput { url: "x".into() }, None)
        .await
        .unwrap();
    assert_eq!(run.outputs.n, 1);
    let again = h.resume(Weather, RunId(1)).await.unwrap();
    assert_eq!(again.outputs.n, 1);
    let all = h.recover(Weather).await.unwrap();
    assert!(all.is_empty());
}

fn main() {}
