//! A node whose parameter is `_x` (silenced as unused) connected by shorthand as `x`:
//! one error naming the port as declared.
use workflow_core::prelude::*;

#[node]
async fn version(_x: u32) -> u32 {
    2
}

workflow! {
    pub struct Version {
        input x: u32,
        v = version(x),
    }
}

fn main() {}
