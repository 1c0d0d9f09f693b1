use workflow_core::prelude::*;

#[node]
async fn fetch(url: String, ctx: Context) -> String {
    let _ = ctx;
    url
}

fn main() {}
