// `Etl.mermaid()` for the workflow's constant `MERMAID` (mistakes42): one error saying to
// write the constant. It was rustc's "no method named `mermaid` found for struct `Etl`".
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
    let run = Runtime::new().execute(Etl, EtlInput { x: 1 }).await.unwrap();
    println!("{} {}", run.outputs.y, Etl.mermaid());
}
