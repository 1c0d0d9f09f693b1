use workflow_test::workflow_test;

#[workflow_test]
fn not_async() {}

fn main() {}
