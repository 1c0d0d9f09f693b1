use workflow_core::prelude::*;
#[node]
async fn fetch(url: String) -> usize {
    url.len()
}
workflow! {
    #[workflow(durable)]
    struct Etl {
        input url: String,
        n = fetch(url),
    }
}
async fn go(rt: Runtime) {
    let _ = rt
        .start_durable(Etl, EtlInput { url: "x".into() }, "key")
        .await;
}
fn main() {}
