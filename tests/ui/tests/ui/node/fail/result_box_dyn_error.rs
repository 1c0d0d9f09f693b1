//! A node returning `Box<dyn Error>`, which is not `Send + Sync`: one error, saying
//! what to write instead.
use workflow_core::prelude::*;

#[node]
async fn parse(raw: String) -> Result<u32, Box<dyn std::error::Error>> {
    Ok(raw.trim().parse::<u32>()?)
}

fn main() {}
