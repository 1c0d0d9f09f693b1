//! The same workflow declared twice in one module: one error, at the second name (not
//! one per generated struct and impl).
use workflow_core::prelude::*;

#[node]
async fn inc(x: u32) -> u32 {
    x + 1
}

workflow! {
    pub struct Twice {
        input x: u32,
        a = inc(x),
    }
}

workflow! {
    pub struct Twice {
        input x: u32,
        b = inc(x),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let run = Runtime::new().execute(Twice, TwiceInput { x: 1 }).await.unwrap();
    println!("{}", run.outputs.a);
}
