use workflow_core::prelude::*;
#[node]
async fn fetch(url: String) -> usize {
    url.len()
}
workflow! {
    #[timeout = "2s"]
    struct Etl {
        input url: String,
        n = fetch(url),
    }
}
fn main() {}
