// A memory check or load test whose result is read without `.await`: one error per read,
// saying to add it (rustc offers no `.await` hint for a boxed future).
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
async fn no_growth(h: Harness) {
    let growth = h.memory_growth(10, || h.execute(Twice, TwiceInput { x: 1 }));
    assert!(growth.total_bytes() < 1024);
}

#[workflow_test(start_paused = true)]
async fn under_load(h: Harness) {
    let report = h.load(Twice, 100, 10, |i| TwiceInput { x: i as u32 });
    assert!(report.all_succeeded());
}

fn main() {}
