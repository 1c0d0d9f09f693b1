//! `version` is a node fn's option (`#[node(version = 2)]`): on the workflow or on a
//! binding it is one error each that says where it goes.
use workflow_core::prelude::*;

#[node]
async fn fetch(url: String) -> usize {
    url.len()
}

workflow! {
    #[workflow(durable, version = 2)]
    struct Versioned {
        input url: String,
        n = fetch(url),
    }
}

workflow! {
    #[workflow(durable)]
    struct BindingVersioned {
        input url: String,
        #[version = 2]
        n = fetch(url),
    }
}

fn main() {
    let _ = |run: Run<VersionedOutput>| run.outputs.n;
    let _ = |run: Run<BindingVersionedOutput>| run.outputs.n;
}
