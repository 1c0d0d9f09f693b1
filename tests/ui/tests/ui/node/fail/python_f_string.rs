// A Python f-string in a node's body: rustc's two syntax errors at it (the unknown
// prefix, then the string it split off) are the only ones. The node's body has
// `format!("counting {n}")` there, so rustc's type check adds no "takes 1 argument but
// 2 arguments were supplied" (it read `f` as an argument), nor the workflow an error.
use workflow_core::prelude::*;

#[node]
async fn count(n: u32, ctx: &Context) -> u32 {
    ctx.emit(f"counting {n}");
    n
}

workflow! {
    struct Counted {
        input n: u32,
        c = count(n),
    }
}

fn main() {}
