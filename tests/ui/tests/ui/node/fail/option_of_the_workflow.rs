// Options of other attributes on `#[node]` say where they go.
use workflow_core::prelude::*;

#[node(concurrency = 4)]
async fn fetch(url: String) -> String {
    url
}

#[node(name = "fetch_data")]
async fn parse(page: String) -> usize {
    page.len()
}

workflow! {
    struct Etl {
        input url: String,
        page = fetch(url),
        n = parse(page),
    }
}

fn main() {}
