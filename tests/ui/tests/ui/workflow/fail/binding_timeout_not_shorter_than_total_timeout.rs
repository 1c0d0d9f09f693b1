//! A binding's `#[timeout]` as long as its `#[retry(total_timeout)]`, which limits all
//! attempts together: the per-attempt limit could never fire.
use workflow_core::prelude::*;

#[node]
async fn add(a: u32, b: u32) -> u32 {
    a + b
}

workflow! {
    struct Sum {
        input a: u32,
        input b: u32,
        #[retry(max = 3, total_timeout = "5s")]
        #[timeout = "5s"]
        c = add(a, b),
    }
}

fn main() {
    let _ = SumInput { a: 1, b: 2 };
}
