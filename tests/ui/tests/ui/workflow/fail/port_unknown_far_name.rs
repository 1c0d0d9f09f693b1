//! A port name unlike any of the node's: the error lists the ports.
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
async fn add(a: usize, b: usize) -> usize {
    a + b
}

workflow! {
    struct Etl {
        input url: String,
        page = fetch(url),
        n = total(items: page),
        s = add(a: n, c: n),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let _ = Runtime::new().execute(Etl, EtlInput { url: "x".into() }).await;
}
