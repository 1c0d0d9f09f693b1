// The testing guide's `await event_queue.put({...})` (asyncio.Queue) and a `Vec`'s `push`
// on an `EventQueue` or its sender, and `h.trace()` for the last run's trace (by the
// builder's `trace(bool)` and `RunRecord::trace()`). One error each, naming what to write
// (rustc said "no method named `put`" with no hint, and for `trace` pointed at
// `set_trace`, which takes a `bool` and returns nothing).
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
    let queue = EventQueue::<u32>::new();
    queue.put(1).await;
    queue.push(2);
    let tx = queue.sender();
    tx.put(3).await;
    h.enable_tracing();
    h.execute(Inc, IncInput { x: 1 }).await.unwrap();
    let trace = h.trace().unwrap();
    println!("{}", trace.render_text());
}

fn main() {}
