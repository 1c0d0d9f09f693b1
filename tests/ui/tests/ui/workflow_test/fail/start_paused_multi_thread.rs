use workflow_test::workflow_test;

#[workflow_test(flavor = "multi_thread", start_paused = true)]
async fn paused_multi_thread() {}

fn main() {}
