//! A plain `fn` whose body awaits (the `async` forgotten, not the await): one error saying
//! to add `async` (was two: that one and rustc's E0728 at the `.await`).
use workflow_core::prelude::*;

async fn get(url: String) -> String {
    url
}

#[node]
fn fetch(url: String) -> String {
    get(url).await
}

workflow! {
    struct Pages {
        input url: String,
        page = fetch(url),
    }
}

fn main() {}
