//! A durable workflow with an error of its own (a cycle), used as a sub-workflow and in
//! `map` by a durable workflow: the cycle is the one error, not also "`InnerOutput`
//! cannot be recorded ... add `#[workflow(durable)]` to `Inner`" at each use (which it
//! has).
use workflow_core::prelude::*;

#[node]
async fn up(s: String) -> String {
    s.to_uppercase()
}

workflow! {
    #[workflow(durable)]
    pub struct Inner {
        input s: String,
        u = up(s: t),
        t = up(s: u),
    }
}

workflow! {
    #[workflow(durable)]
    struct Outer {
        input s: String,
        input rest: Vec<String>,
        sub = Inner(s),
        all = map(Inner, rest),
        again = up(s: sub.t),
    }
}

fn main() {}
