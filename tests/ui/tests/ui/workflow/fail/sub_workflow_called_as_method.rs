// A sub-workflow called like a method of its struct (`Leaf::run(n)`): one error at the
// path saying how a workflow is bound (it was rustc's "cannot find module `Leaf`:
// `Leaf` is a struct, not a module").
use workflow_core::prelude::*;

#[node]
async fn inc(n: u32) -> u32 {
    n + 1
}

workflow! {
    pub struct Leaf {
        input n: u32,
        m = inc(n),
    }
}

workflow! {
    struct Tree {
        input n: u32,
        leaf = Leaf::run(n),
        other = inc(n),
    }
}

fn main() {
    let _ = TreeInput { n: 1 };
}
