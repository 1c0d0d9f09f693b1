// `ctx.emit("n = {}", n)` (`println!`'s arguments): one error at the arguments saying to
// write `ctx.emit(format!("n = {}", n))`, which the call becomes, so rustc adds no "this
// method takes 1 argument but 2 arguments were supplied" (whose help was to remove `n`).
// A label and a value (`ctx.emit("items", n)`, a structured logger's habit) is the same
// error, suggesting a message with the value in it (mistakes43's m112).
use workflow_core::prelude::*;

#[node]
async fn count(items: Vec<u32>, ctx: &Context) -> usize {
    ctx.emit("counting {} items", items.len());
    items.len()
}

#[node]
async fn total(items: Vec<u32>, ctx: &Context) -> u32 {
    let sum = items.iter().sum();
    ctx.emit("sum", sum);
    sum
}

workflow! {
    struct Counted {
        input items: Vec<u32>,
        n = count(items),
        t = total(items),
    }
}

fn main() {}
