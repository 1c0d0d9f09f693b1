// The testing guide's names for the harness's methods: `execute_workflow` and `run` for
// `execute`, `get_execution_trace` for `last_trace`. One error each, naming the method to
// write (rustc pointed at `execute_with`, at the generated `Workflow::run`, or at nothing).
use workflow_test::prelude::*;

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

#[workflow_test]
async fn guide_port(h: Harness) {
    h.enable_tracing();
    let run = h.execute_workflow(Inc, IncInput { x: 1 }).await;
    h.assert_success(run);
    let run = h.run(Inc, IncInput { x: 2 }).await.unwrap();
    assert_eq!(run.outputs.y, 3);
    let trace = h.get_execution_trace().unwrap();
    println!("{}", trace.render_text());
}

fn main() {}
