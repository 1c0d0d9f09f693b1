// `.wait()` (or `.get()`, `.result()`) on the run's future, a blocking read in other
// languages, for `.await`: one error saying to await it, and the result is typed as the
// run's, so the code using it adds nothing.
use workflow_core::prelude::*;

#[node]
async fn inc(x: u32) -> u32 {
    x + 1
}

workflow! {
    struct Inc {
        input x: u32,
        y = inc(x),
    }
}

#[tokio::main]
async fn main() {
    let rt = Runtime::new();
    let run = rt.execute(Inc, IncInput { x: 5 }).wait().unwrap();
    println!("{}", run.outputs.y);
}
