//! An error type that does not implement `std::error::Error`.
use workflow_core::prelude::*;

#[derive(Debug)]
pub struct ParseError;

#[node]
async fn parse(raw: String) -> Result<u32, ParseError> {
    raw.trim().parse::<u32>().map_err(|_| ParseError)
}

fn main() {}
