// `Etl::new()` (a workflow object, as other SDKs build one): one error saying the
// workflow is a value already, not rustc's "no function or associated item named `new`".
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
    let run = Runtime::new().execute(Etl::new(), EtlInput { x: 1 }).await.unwrap();
    println!("{}", run.outputs.y);
}
