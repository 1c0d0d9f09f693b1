use workflow_core::prelude::*;

#[node]
async fn fetch(url: String) -> Vec<u8> {
    url.into_bytes()
}

workflow! {
    #[workflow(sequential, concurrency = 4)]
    #[workflow(timeout = "1s", sequential = true)]
    struct Pipeline {
        input url: String,
        fetch = fetch(url),
    }
}

fn main() {}
