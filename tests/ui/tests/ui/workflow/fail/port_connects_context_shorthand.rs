//! A node's `&Context` connected with the shorthand `count(items, ctx)`.
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
async fn count(items: Vec<u8>, ctx: &Context) -> usize {
    let _ = ctx.attempt();
    items.len()
}

workflow! {
    struct Etl {
        input url: String,
        page = fetch(url),
        ctx = total(items: page),
        n = count(items: page, ctx),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let _ = Runtime::new().execute(Etl, EtlInput { url: "x".into() }).await;
}
