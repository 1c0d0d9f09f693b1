//! `ctx: Arc<Context>` (or `Box<Context>`): one error at the node, saying to take
//! `&Context`. Before, it compiled as a port of type `Arc<Context>` until a workflow
//! called the node, which then said "port `ctx` of `who` is not connected".
use std::sync::Arc;

use workflow_core::prelude::*;

#[node]
async fn who(n: u32, ctx: Arc<Context>) -> String {
    format!("{n} {}", ctx.node())
}

#[node]
async fn keep(n: u32, ctx: Box<Context>) -> u32 {
    let _ = ctx;
    n
}

workflow! {
    struct Named {
        input n: u32,
        w = who(n),
        k = keep(n),
    }
}

fn main() {}
