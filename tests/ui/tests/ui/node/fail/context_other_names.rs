//! `ctx: &Ctx` or `&TaskContext`, another SDK's name for the node's context: one error
//! saying to take `&Context` (was "input port `ctx` must own its data" plus rustc's
//! "cannot find type `Ctx`").
use workflow_core::prelude::*;

#[node]
async fn fetch(url: String, ctx: &Ctx) -> String {
    format!("{url} (attempt {})", ctx.attempt())
}

#[node]
async fn parse(page: String, ctx: &TaskContext) -> usize {
    ctx.emit("parsing");
    page.len()
}

fn main() {}
