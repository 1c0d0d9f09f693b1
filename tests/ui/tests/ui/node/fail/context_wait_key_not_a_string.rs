// `ctx.wait::<u32>(3)` and `ctx.wait_signal(3)`: a key that is not a string. One error
// each, at the key (`String: From<{integer}>`, the bound of `impl Into<String>`); they
// were three each, repeated at the call and at its `.await`, because the future
// (`impl Future`, an `async fn`) captured the key's type.
use workflow_core::prelude::*;

#[node]
async fn follower(ctx: &Context) -> Result<u32, WaitError> {
    ctx.wait::<u32>(3).await
}

#[node]
async fn second(n: u32, ctx: &Context) -> u32 {
    ctx.wait_signal(3).await;
    n + 1
}

fn main() {}
