//! `ctx.sleep(d).await` (Temporal's `workflow.sleep`) in a node: one error saying to
//! sleep with tokio, not rustc's "no method named `sleep` found for `&Context`".
use std::time::Duration;
use workflow_core::prelude::*;

#[node]
async fn remind(user: String, ctx: &Context) -> String {
    ctx.sleep(Duration::from_secs(60)).await;
    user
}

fn main() {}
