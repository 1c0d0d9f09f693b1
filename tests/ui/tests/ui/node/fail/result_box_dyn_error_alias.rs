//! `Box<dyn Error>` behind an alias: one error at `E` (not one per unmet bound: `Send`, `Sync`, `Sized`).
use workflow_core::prelude::*;

type DynError = Box<dyn std::error::Error>;

#[node]
async fn parse(text: String) -> Result<u32, DynError> {
    Ok(text.parse::<u32>()?)
}

fn main() {}
