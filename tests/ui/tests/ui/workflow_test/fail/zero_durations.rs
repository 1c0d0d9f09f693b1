use workflow_test::workflow_test;

#[workflow_test(timeout = "0s")]
async fn zero_timeout() {}

#[workflow_test(deadlock = "0ms")]
async fn zero_deadlock() {}

fn main() {}
