// The context taken as `&'static Context`, or as std's poll context
// (`&mut std::task::Context<'_>`, the `Context` of `Future::poll`): one error each at the
// parameter, saying to take `&Context` (this crate's, in the prelude). Both were rustc's
// errors in the generated code, at `#[node]` ("`__workflow_ctx` does not live long
// enough"; "expected `&Context<'_>`, found `&Context`"). A workflow calling them adds
// nothing.
use workflow_core::prelude::*;

#[node]
async fn kept(n: u32, ctx: &'static Context) -> u32 {
    ctx.emit("kept");
    n
}

#[node]
async fn polled(n: u32, cx: &mut std::task::Context<'_>) -> u32 {
    let _ = cx;
    n + 1
}

workflow! {
    struct W {
        input n: u32,
        k = kept(n),
        p = polled(n: k),
    }
}

fn main() {}
