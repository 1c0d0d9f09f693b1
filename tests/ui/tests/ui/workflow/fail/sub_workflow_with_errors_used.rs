//! A workflow with an error of its own (a cycle), used as a sub-workflow (and in `map`)
//! by another: the cycle is the one error, not also "`InnerInput` is not a workflow node"
//! at each use of `Inner` (seven more before).
use workflow_core::prelude::*;

#[node]
async fn up(s: String) -> String {
    s.to_uppercase()
}

workflow! {
    pub struct Inner {
        input s: String,
        u = up(s: t),
        t = up(s: u),
    }
}

workflow! {
    struct Outer {
        input s: String,
        input rest: Vec<String>,
        sub = Inner(s),
        all = map(Inner, rest),
        again = up(s: sub.t),
    }
}

fn main() {}
