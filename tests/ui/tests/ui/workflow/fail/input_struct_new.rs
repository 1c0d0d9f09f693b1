use workflow_core::prelude::*;

#[node]
async fn fetch(url: String) -> usize {
    url.len()
}

workflow! {
    struct Etl {
        input url: String,
        page = fetch(url),
    }
}

fn main() {
    // The input is a struct literal, `EtlInput { url }`; rustc's error lists the traits
    // that have a `new`, with the hidden `WorkflowsAreValues` (`Etl::new()`'s error).
    let _ = EtlInput::new("https://example.com".to_owned());
}
