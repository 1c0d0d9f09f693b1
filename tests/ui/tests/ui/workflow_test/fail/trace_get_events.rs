// The testing guide's `trace.get_events()`: one error saying the events are the field
// `trace.events`, and which methods answer the usual questions.
use workflow_test::prelude::*;

#[node]
async fn double(x: u32) -> u32 {
    x * 2
}

workflow! {
    struct Twice {
        input x: u32,
        y = double(x),
    }
}

#[workflow_test]
async fn traced(h: Harness) {
    h.assert_success(h.execute(Twice, TwiceInput { x: 1 }).await);
    let trace = h.last_trace().unwrap();
    assert_eq!(trace.get_events().len(), 6);
}

fn main() {}
