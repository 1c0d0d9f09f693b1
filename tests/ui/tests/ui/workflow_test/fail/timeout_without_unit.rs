use workflow_test::prelude::*;
#[workflow_test(timeout = "5")]
async fn t(h: Harness) {
    let _ = h;
}
fn main() {}
