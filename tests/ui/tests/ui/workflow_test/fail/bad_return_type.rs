use workflow_test::workflow_test;

#[workflow_test]
async fn returns_a_number() -> u32 {
    1
}

fn main() {}
