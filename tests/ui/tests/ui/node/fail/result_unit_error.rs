use workflow_core::prelude::*;
#[node]
async fn fetch(url: String) -> Result<usize, ()> {
    Ok(url.len())
}
fn main() {}
