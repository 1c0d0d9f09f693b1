// A type of the user's named `Context` (an app's own, declared beside the glob import of
// the prelude, which it hides) as a node's `ctx: &Context`: one error at that type,
// saying it is not the runtime's and what to write. It was rustc's "expected `Context`,
// found `workflow_core::Context`" at `#[node]` (mistakes43). Calls of the runtime's
// methods on it in the body (`ctx.emit(..)`) stay rustc's own "no method named".
use workflow_core::prelude::*;

pub struct Context {
    pub user: String,
}

#[node]
async fn greet(name: String, ctx: &Context) -> String {
    format!("{name} by {}", ctx.user)
}

workflow! {
    struct Hello {
        input name: String,
        g = greet(name),
    }
}

fn main() {}
