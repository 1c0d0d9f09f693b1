// A leak check written as a statement without `.await`: the future is dropped unpolled,
// so nothing is checked and the test passes (rustc only warns). One error at the call.
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

#[workflow_test(start_paused = true)]
async fn nothing_leaks(h: Harness) {
    h.assert_success(h.execute(Twice, TwiceInput { x: 1 }).await);
    h.assert_no_leaks();
}

fn main() {}
