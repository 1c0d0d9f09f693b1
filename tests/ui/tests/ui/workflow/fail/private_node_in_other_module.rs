//! A private node used from outside its module: rustc's privacy error names the node,
//! not its hidden ports macro.
use workflow_core::prelude::*;

mod nodes {
    use workflow_core::prelude::*;

    #[node]
    async fn double(n: u32) -> u32 {
        n * 2
    }
}

workflow! {
    struct W {
        input n: u32,
        d = nodes::double(n),
    }
}

fn main() {}
