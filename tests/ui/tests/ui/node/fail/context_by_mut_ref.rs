use workflow_core::prelude::*;
#[node]
async fn fetch(url: String, ctx: &mut Context) -> usize {
    let _ = ctx;
    url.len()
}
fn main() {}
