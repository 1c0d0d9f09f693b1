use workflow_core::prelude::*;
#[node]
async fn fetch(url: String) -> usize {
    url.len()
}
workflow! {
    struct Etl {
        input url: String,
        #[node(timeout = "1s")]
        n = fetch(url),
    }
}
fn main() {}
