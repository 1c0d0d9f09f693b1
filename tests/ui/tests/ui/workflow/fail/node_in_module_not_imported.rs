//! A `pub` node in another module used without importing it: rustc's one error with
//! the import to add (and no "unused import" warning about the node's hidden re-export).
use workflow_core::prelude::*;

mod nodes {
    use workflow_core::prelude::*;

    #[node]
    pub async fn fetch(url: String) -> usize {
        url.len()
    }
}

workflow! {
    struct Etl {
        input url: String,
        n = fetch(url),
    }
}

fn main() {}
