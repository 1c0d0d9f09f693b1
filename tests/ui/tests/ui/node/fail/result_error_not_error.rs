use workflow_core::prelude::*;

#[node]
async fn fetch(url: String) -> Result<String, u32> {
    Ok(url)
}

fn main() {}
