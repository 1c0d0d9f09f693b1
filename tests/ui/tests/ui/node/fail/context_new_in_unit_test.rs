// A unit test calling a node that takes `ctx: &Context` directly, with `Context::new()`
// (mistakes45): one error saying a context comes from a run and how to test such a node;
// was rustc's "associated function `new` is private" and "takes 3 arguments but 0
// arguments were supplied" offering the runtime's internals.
use workflow_core::prelude::*;

#[node]
async fn check(url: String, ctx: &Context) -> usize {
    ctx.emit("checking");
    url.len()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(check("u".into(), &Context::new()).await, 1);
}
