use workflow_core::prelude::*;
#[node]
async fn fetch(url: String, n: u32) -> usize {
    url.len() + n as usize
}
workflow! {
    struct Etl {
        input url: String,
        input n: u32,
        m = fetch(url, n),
    }
}
async fn go(rt: Runtime) {
    let _ = rt.execute(Etl, EtlInput { url: "x".into() }).await;
}
fn main() {}
