use workflow_test::prelude::*;
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
#[workflow_test]
async fn t(h: Harness) {
    let run = h.execute(Etl, EtlInput { url: "x".into() }).await;
    assert_eq!(run.outputs.n, 1);
}
fn main() {}
