use workflow_core::prelude::*;

#[node]
async fn fetch(url: String) -> Vec<u8> {
    url.into_bytes()
}

workflow! {
    #[workflow(timeout = "abc", deadlock = 5, concurrency = 0, failure = "ignore")]
    struct Pipeline {
        input url: String,
        fetch = fetch(url),
    }
}

fn main() {}
