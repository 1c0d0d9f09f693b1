//! A `const fn` under `#[node]`: one error (not also "add `async`"), saying to write
//! `async fn`.
use workflow_core::prelude::*;

#[node]
const fn double(x: u32) -> u32 {
    x * 2
}

fn main() {}
