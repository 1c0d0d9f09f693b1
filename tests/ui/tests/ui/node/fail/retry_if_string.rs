use workflow_core::prelude::*;
#[node(retry(max = 3, retry_if = "transient"))]
async fn fetch(url: String) -> Result<usize, std::io::Error> {
    Ok(url.len())
}
fn main() {}
