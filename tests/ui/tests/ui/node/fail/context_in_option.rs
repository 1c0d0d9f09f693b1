use workflow_core::prelude::*;

#[node]
async fn fetch(url: String, ctx: Option<&Context>) -> String {
    if let Some(ctx) = ctx {
        ctx.emit("fetching");
    }
    url
}

workflow! {
    struct Etl {
        input url: String,
        page = fetch(url),
    }
}

fn main() {}
