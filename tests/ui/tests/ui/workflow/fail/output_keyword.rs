// `output y = ..` (declared like an input): said, and kept as `#[output] y = ..`, so
// `run.outputs.y` adds nothing.
use workflow_core::prelude::*;

#[node]
async fn double(x: u32) -> u32 {
    x * 2
}

#[node]
async fn inc(x: u32) -> u32 {
    x + 1
}

workflow! {
    struct Twice {
        input x: u32,
        output y = double(x),
        z = inc(x: y),
    }
}

async fn run() {
    let run = Runtime::new().execute(Twice, TwiceInput { x: 1 }).await.unwrap();
    let _ = (run.outputs.y, run.outputs.z);
}

fn main() {
    let _ = run;
}
