use workflow_core::prelude::*;
#[node]
async fn fetch(url: String) -> usize {
    url.len()
}

workflow! {
    struct Etl {
        input url: String,
        #[output = true]
        n = fetch(url),
    }
}
fn main() {}
