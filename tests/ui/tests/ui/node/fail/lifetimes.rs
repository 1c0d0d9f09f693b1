use workflow_core::prelude::*;

#[node]
async fn first<'a>(items: &'a [u32]) -> u32 {
    items[0]
}

#[node]
async fn unused<'a>(n: u32) -> u32 {
    n
}

fn main() {}
