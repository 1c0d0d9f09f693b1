// Other SDKs' names on the node's `Context`: the running task's name (`ctx.name()`,
// `ctx.node_name()`) and a run logger (`ctx.log(..)`, `ctx.info(..)`). Each is one
// error naming `ctx.node()` or `ctx.emit(..)`, not rustc's "no method named ..".
use workflow_core::prelude::*;

#[node]
async fn who(ctx: &Context) -> String {
    ctx.name().to_string()
}

#[node]
async fn who_else(ctx: &Context) -> String {
    ctx.node_name().to_string()
}

#[node]
async fn fetch(n: u64, ctx: &Context) -> u64 {
    ctx.log(format!("fetching {n}"));
    ctx.info("done");
    n
}

fn main() {}
