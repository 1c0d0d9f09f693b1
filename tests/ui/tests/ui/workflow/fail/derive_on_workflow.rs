// Deriving what the workflow struct already derives is one error at that trait (the
// other derives are kept), not rustc's "conflicting implementations".
use workflow_core::prelude::*;

#[node]
async fn size(url: String) -> usize {
    url.len()
}

workflow! {
    #[derive(Clone, PartialOrd)]
    struct Etl {
        input url: String,
        n = size(url),
    }
}

fn main() {
    let _ = Etl < Etl;
}
