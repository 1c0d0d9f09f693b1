//! Connecting a node's `Res<T>` parameter, which the runtime passes in.
use workflow_core::prelude::*;

#[node]
async fn fetch(url: String) -> Vec<u8> {
    url.into_bytes()
}

#[node]
async fn total(items: Vec<u8>) -> usize {
    items.len()
}

pub struct Db;

#[node]
async fn lookup(id: usize, db: Res<Db>) -> usize {
    let _ = &*db;
    id
}

workflow! {
    struct Etl {
        input url: String,
        page = fetch(url),
        n = total(items: page),
        m = lookup(id: n, db: n),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let _ = Runtime::new().execute(Etl, EtlInput { url: "x".into() }).await;
}
