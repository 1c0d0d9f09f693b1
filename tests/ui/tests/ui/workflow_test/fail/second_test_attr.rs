use workflow_test::workflow_test;

#[workflow_test]
#[test]
async fn with_test() {}

#[workflow_test]
#[tokio::test]
async fn with_tokio_test() {}

fn main() {}
