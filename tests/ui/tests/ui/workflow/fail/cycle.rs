use workflow_core::prelude::*;

#[node]
async fn fetch(url: String) -> Vec<u8> {
    url.into_bytes()
}

#[node]
async fn parse(raw: Vec<u8>) -> usize {
    raw.len()
}

#[node]
async fn step(x: u32) -> u32 {
    x + 1
}

workflow! {
    struct Loop {
        input seed: u32,
        start = step(x: seed),
        a = step(x: c),
        b = step(x: a),
        c = step(x: b),
    }
}

fn main() {}
