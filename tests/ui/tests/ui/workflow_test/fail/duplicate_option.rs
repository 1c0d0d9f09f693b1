use workflow_test::workflow_test;

#[workflow_test(timeout = "1s", timeout = "2s")]
async fn duplicate() {}

fn main() {}
