use workflow_test::workflow_test;

#[workflow_test(workers = 2)]
async fn workers_without_multi_thread() {}

#[workflow_test(flavor = "multi_thread", workers = 0)]
async fn zero_workers() {}

fn main() {}
