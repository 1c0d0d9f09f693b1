// `retry` on `#[workflow]` says where a retry goes: on the fn or on one binding.
use workflow_core::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("busy")]
struct Busy;

#[node]
async fn fetch(url: String) -> Result<String, Busy> {
    Ok(url)
}

workflow! {
    #[workflow(retry(max = 3))]
    struct Etl {
        input url: String,
        page = fetch(url),
    }
}

fn main() {}
