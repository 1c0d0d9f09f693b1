use workflow_test::workflow_test;

#[workflow_test]
async fn generic<T: Default>() {}

fn main() {}
