//! `"collect"` is a fan-out's failure policy and `"continue"` the workflow's: each in
//! the other's place is one error that says where it goes.
use workflow_core::prelude::*;

#[node]
async fn size(url: String) -> usize {
    url.len()
}

workflow! {
    #[workflow(failure = "collect")]
    struct Collected {
        input urls: Vec<String>,
        sizes = for u in urls { s = size(url: u), } => s,
    }
}

workflow! {
    struct Continued {
        input urls: Vec<String>,
        #[failure = "continue"]
        sizes = for u in urls { s = size(url: u), } => s,
    }
}

fn main() {
    let _ = |run: Run<CollectedOutput>| run.outputs.sizes;
    let _ = |run: Run<ContinuedOutput>| run.outputs.sizes;
}
