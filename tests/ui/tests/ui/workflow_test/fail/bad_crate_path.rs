use workflow_test::workflow_test;

#[workflow_test(crate = "not a path")]
async fn bad_crate() {}

fn main() {}
