use workflow_core::prelude::*;
#[node]
async fn fetch(url: String) -> usize {
    url.len()
}

workflow! {
    #[workflow(durable = true)]
    struct Etl {
        input url: String,
        n = fetch(url),
    }
}
fn main() {}
