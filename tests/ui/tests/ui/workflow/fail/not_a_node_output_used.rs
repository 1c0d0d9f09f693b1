//! A plain fn (no `#[node]`) in a workflow is one error, at its call: not also one per
//! node fed by it, nor at the code reading its output.
use workflow_core::prelude::*;

async fn double(x: u32) -> u32 {
    x * 2
}

#[node]
async fn show(n: u32) -> String {
    n.to_string()
}

workflow! {
    struct Twice {
        input x: u32,
        #[output]
        y = double(x),
        a = show(n: y),
        b = show(n: y),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let run = Runtime::new().execute(Twice, TwiceInput { x: 1 }).await.unwrap();
    println!("{} {} {}", run.outputs.y + 1, run.outputs.a, run.outputs.b);
}
