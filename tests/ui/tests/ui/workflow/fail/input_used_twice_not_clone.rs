//! A workflow input that is not `Clone` connected to two nodes: one error, at the first
//! use, saying the type must be `Clone` (or shared in an `Arc`).
use workflow_core::prelude::*;

#[derive(Debug)]
pub struct Config(u32);

#[node]
async fn read(c: Config) -> u32 {
    c.0
}

workflow! {
    struct Twice {
        input c: Config,
        a = read(c),
        b = read(c),
    }
}

fn main() {}
