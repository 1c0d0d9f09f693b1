use workflow_test::workflow_test;

#[workflow_test(timeout = "2 parsecs", deadlock = 500, flavor = "single", workers = "two", start_paused = 1)]
async fn bad_values() {}

fn main() {}
