// A node body using `ctx` without taking `ctx: &Context`: one error at the first use,
// saying to add the parameter; the node is emitted with it, so the workflow calling it
// adds nothing.
use workflow_core::prelude::*;

#[node]
async fn checkout(total: u32) -> u32 {
    ctx.emit(format!("charging {total}"));
    if ctx.attempt() > 1 {
        ctx.emit("again");
    }
    total
}

workflow! {
    struct Shop {
        input total: u32,
        paid = checkout(total),
    }
}

fn main() {
    let _ = Shop;
}
