// `Etl.execute(input)` / `Etl.run(input)` (a workflow object that runs itself, as in other
// libraries, mistakes45): one error each saying to pass it to a runtime; was rustc's "no
// method named `execute` found for struct `Etl`". What they return is a run's result, so
// `.await.unwrap()` and `run.outputs` after them add nothing.
use workflow_core::prelude::*;

#[node]
async fn inc(x: u32) -> u32 {
    x + 1
}

workflow! {
    struct Etl {
        input x: u32,
        y = inc(x),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let run = Etl.execute(EtlInput { x: 1 }).await.unwrap();
    let again = Etl.run(EtlInput { x: 2 }).await.unwrap();
    println!("{} {}", run.outputs.y, again.outputs.y);
}
