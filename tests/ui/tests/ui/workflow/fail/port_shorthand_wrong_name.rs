//! A source written alone where the port has another name: the error names the port to write.
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
        n = total(page),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let _ = Runtime::new().execute(Etl, EtlInput { url: "x".into() }).await;
}
