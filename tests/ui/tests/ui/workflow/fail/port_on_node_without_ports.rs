//! An argument to a node that has no input ports.
use workflow_core::prelude::*;

#[node]
async fn fetch(url: String) -> Vec<u8> {
    url.into_bytes()
}

#[node]
async fn total(items: Vec<u8>) -> usize {
    items.len()
}

#[node]
async fn now_ms() -> u64 {
    7
}

workflow! {
    struct Etl {
        input url: String,
        page = fetch(url),
        n = total(items: page),
        t = now_ms(n),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let _ = Runtime::new().execute(Etl, EtlInput { url: "x".into() }).await;
}
