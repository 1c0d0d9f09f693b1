use workflow_test::prelude::*;
#[node]
async fn fetch(url: String) -> Result<usize, std::io::Error> {
    Ok(url.len())
}
workflow! {
    struct Etl {
        input url: String,
        n = fetch(url),
    }
}
#[workflow_test]
async fn t(h: Harness) {
    let r = h.execute(Etl, EtlInput { url: "x".into() }).await;
    h.assert_error(r, "fetch");
}
fn main() {}
