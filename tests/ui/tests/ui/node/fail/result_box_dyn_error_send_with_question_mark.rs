use workflow_core::prelude::*;

#[node]
async fn parse(text: String) -> Result<u32, Box<dyn std::error::Error + Send>> {
    Ok(text.parse::<u32>()?)
}

fn main() {}
