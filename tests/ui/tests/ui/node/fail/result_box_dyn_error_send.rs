//! `Box<dyn Error + Send>` without `Sync` is not a node error either.
use workflow_core::prelude::*;

#[node]
async fn parse(raw: String) -> Result<u32, Box<dyn std::error::Error + Send>> {
    Ok(raw.len() as u32)
}

fn main() {}
