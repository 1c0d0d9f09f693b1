// `ctx.emit("n = {}", n)` (`println!`'s arguments): one error at the arguments saying to
// write `ctx.emit(format!("n = {}", n))`, which the call becomes, so rustc adds no "this
// method takes 1 argument but 2 arguments were supplied" (whose help was to remove `n`).
use workflow_core::prelude::*;

#[node]
async fn count(items: Vec<u32>, ctx: &Context) -> usize {
    ctx.emit("counting {} items", items.len());
    items.len()
}

workflow! {
    struct Counted {
        input items: Vec<u32>,
        n = count(items),
    }
}

fn main() {}
