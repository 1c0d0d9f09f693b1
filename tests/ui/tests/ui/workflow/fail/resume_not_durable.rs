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
async fn go(rt: Runtime, id: workflow_core::store::RunId) {
    let _ = rt.resume(Etl, id).await;
}
fn main() {}
