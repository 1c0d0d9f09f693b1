use workflow_core::prelude::*;
#[node]
async fn fetch(url: String) -> usize {
    url.len()
}
workflow! {
    enum Etl {
        input url: String,
        n = fetch(url),
    }
}
fn main() {}
