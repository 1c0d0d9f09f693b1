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
    let run = rt.execute(Etl, EtlInput { url: "x".into() }).await.unwrap();
    let _: usize = run.n;
}
fn main() {}
