//! A workflow named in lower case: one `non_camel_case_types` lint, at its name (not one
//! more for each of `etlInput` and `etlOutput`).
#![deny(non_camel_case_types)]
use workflow_core::prelude::*;

#[node]
async fn inc(x: u32) -> u32 {
    x + 1
}

workflow! {
    pub struct etl {
        input x: u32,
        a = inc(x),
    }
}

fn main() {
    let _ = etlInput { x: 1 };
}
