use workflow_core::prelude::*;
#[node]
async fn fetch(url: String) -> usize {
    url.len()
}
workflow! {
    struct Etl {
        input url: String,
        #[spawn_blocking]
        n = fetch(url),
    }
}
fn main() {}
