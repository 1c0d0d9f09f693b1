use workflow_test::workflow_test;

#[workflow_test(timeout = "1s", retries = 3, flavour = "multi_thread")]
async fn unknown() {}

fn main() {}
