//! A misspelled type in a node's signature: one error per type, from rustc, with its
//! suggestion (the generated items that name the type add none).
use workflow_core::prelude::*;

#[node]
async fn fetch(url: Strng) -> Vec<u8> {
    url.into_bytes()
}

#[node]
async fn parse(raw: Vec<u8>) -> Resul<usize, std::io::Error> {
    Ok(raw.len())
}

fn main() {}
