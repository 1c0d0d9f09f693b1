use workflow_test::workflow_test;

#[workflow_test]
struct NotAFn;

fn main() {}
