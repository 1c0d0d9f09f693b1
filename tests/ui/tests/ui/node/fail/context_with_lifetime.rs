// `ctx: &Context<'_>` (a borrowed context given a lifetime, like std's poll context):
// one error saying to remove it, and the node usable from a workflow. It was ours about
// std's poll context, then rustc's "struct takes 0 lifetime arguments" and "return type
// references an anonymous lifetime" (mistakes42).
use workflow_core::prelude::*;

#[node]
async fn who(x: u32, ctx: &Context<'_>) -> u32 {
    ctx.emit("who");
    x
}

workflow! {
    struct W {
        input x: u32,
        y = who(x),
    }
}

fn main() {}
