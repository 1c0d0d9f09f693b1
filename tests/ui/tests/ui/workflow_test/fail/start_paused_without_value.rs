use workflow_test::prelude::*;
#[workflow_test(start_paused)]
async fn t(h: Harness) {
    let _ = h;
}
fn main() {}
