//! A fan-out without `=> binding` after its body: one error at the body's closing brace
//! (not at the whole macro), naming the binding to collect.
use workflow_core::prelude::*;

#[node]
async fn download(url: String) -> usize {
    url.len()
}

workflow! {
    struct Sizes {
        input urls: Vec<String>,
        sizes = for url in urls {
            n = download(url),
        },
    }
}

fn main() {}
