//! A misspelt port among several nodes: one error, naming the port meant.
use workflow_core::prelude::*;

#[node]
async fn fetch(url: String) -> Vec<u8> {
    url.into_bytes()
}

#[node]
async fn total(items: Vec<u8>) -> usize {
    items.len()
}

workflow! {
    struct Etl {
        input url: String,
        page = fetch(url),
        n = total(itmes: page),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let _ = Runtime::new().execute(Etl, EtlInput { url: "x".into() }).await;
}
