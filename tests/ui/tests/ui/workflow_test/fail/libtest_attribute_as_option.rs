use workflow_test::prelude::*;

#[workflow_test(ignore)]
async fn slow(h: Harness) {
    let _ = h;
}

#[workflow_test(timeout = "1s", should_panic)]
async fn panics(h: Harness) {
    let _ = h;
    panic!("boom");
}

fn main() {}
