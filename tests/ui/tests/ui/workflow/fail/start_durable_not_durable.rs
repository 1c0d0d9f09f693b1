use workflow_core::prelude::*;
#[node]
async fn fetch(url: String) -> usize {
    url.len()
}
workflow! {
    struct Etl {
        input url: String,
        n = fetch(url),
    }
}
async fn go(rt: Runtime) {
    let _ = rt
        .start_durable(Etl, EtlInput { url: "x".into() }, None)
        .await;
}
fn main() {}
