//! Connecting a node's `&Context` parameter, which the runtime passes in.
use workflow_core::prelude::*;

#[node]
async fn fetch(url: String) -> Vec<u8> {
    url.into_bytes()
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
        n = count(items: page, ctx: page),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let _ = Runtime::new().execute(Etl, EtlInput { url: "x".into() }).await;
}
