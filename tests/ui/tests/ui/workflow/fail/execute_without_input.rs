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
    let _ = rt.execute(Etl).await;
}
fn main() {}
