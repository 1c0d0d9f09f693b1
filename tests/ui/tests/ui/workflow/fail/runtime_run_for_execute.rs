// `rt.run(..)` and the testing guide's `execute_workflow(..)` for `rt.execute(..)`: one
// error each, saying to write `execute` (rustc's help pointed at the generated
// `Workflow::run`: "use associated function syntax instead: `Runtime::run(..)`").
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
    let run = rt.run(Inc, IncInput { x: 5 }).await.unwrap();
    println!("{}", run.outputs.y);
    let again = rt.execute_workflow(Inc, IncInput { x: 6 }).await.unwrap();
    println!("{}", again.outputs.y);
}
