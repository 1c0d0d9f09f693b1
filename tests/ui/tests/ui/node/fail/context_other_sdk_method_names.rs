// Other SDKs' names for what a node's `Context` offers (mistakes42): `retry_count()` and
// `attempt_number()` for `attempt()`, Temporal's `heartbeat()`, and `workflow_id()` for
// `run_id()`. One error at each, saying what to write (each was rustc's "no method named
// .. found for reference `&Context`").
use workflow_core::prelude::*;

#[node]
async fn flaky(x: u32, ctx: &Context) -> u32 {
    if ctx.retry_count() > 2 || ctx.attempt_number() > 2 {
        return 0;
    }
    ctx.heartbeat().await;
    println!("run {}", ctx.workflow_id());
    x
}

fn main() {}
