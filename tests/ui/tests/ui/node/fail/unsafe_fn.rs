//! An `async unsafe fn` node: one error at `unsafe`, saying to keep the unsafe code
//! inside a safe fn.
use workflow_core::prelude::*;

#[node]
async unsafe fn step(x: u32) -> u32 {
    x
}

fn main() {}
