// A borrowed input is one error saying to own the data; the input struct is still
// generated (with `String`, as suggested), so code using it and the port it feeds add none.
use workflow_core::prelude::*;

#[node]
async fn size(url: String) -> usize {
    url.len()
}

workflow! {
    struct Etl {
        input url: &str,
        n = size(url),
    }
}

fn main() {
    let _ = EtlInput { url: "x".into() };
}
