// `Harness::memory_growth` repeats a closure; the run's future itself (or an `async`
// block) can be awaited only once: one error, at it, saying to write `|| ..`.
use workflow_test::prelude::*;

#[node]
async fn generate(n: usize) -> usize {
    vec![0u8; n].len()
}

workflow! {
    struct Generate {
        input n: usize,
        len = generate(n),
    }
}

#[workflow_test]
async fn no_growth(h: Harness) {
    let growth = h.memory_growth(10, h.execute(Generate, GenerateInput { n: 1000 })).await;
    assert!(growth.total_bytes() < 1024);
}

#[workflow_test]
async fn no_growth_async_block(h: Harness) {
    h.assert_no_memory_growth(10, 1024, async { h.execute(Generate, GenerateInput { n: 1 }).await })
        .await;
}

fn main() {}
