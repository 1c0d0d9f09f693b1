//! Two `&Context` parameters: one error saying a node takes at most one.
use workflow_core::prelude::*;

#[node]
async fn step(x: u32, ctx: &Context, again: &Context) -> u32 {
    let _ = (ctx, again);
    x
}

fn main() {}
