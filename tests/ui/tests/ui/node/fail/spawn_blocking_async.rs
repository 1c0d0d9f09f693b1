use workflow_core::prelude::*;

#[node(spawn_blocking)]
async fn hash(data: Vec<u8>) -> u64 {
    data.len() as u64
}

#[node(spawn, spawn_blocking)]
fn both(data: Vec<u8>) -> u64 {
    data.len() as u64
}

fn main() {}
