use workflow_core::prelude::*;

#[node]
async fn count(n: usize) -> usize {
    n
}

workflow! {
    struct Pipeline {
        input n,
        a = count(n),
    }
}

fn main() {}
