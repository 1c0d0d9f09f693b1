use workflow_test::workflow_test;

#[workflow_test(timeout = "1s", deadlock = "1s")]
async fn deadlock_as_long_as_timeout() {}

fn main() {}
