use workflow_test::{workflow_test, Harness};

#[workflow_test]
async fn wrong_type(n: u32) {}

#[workflow_test]
async fn two_params(h: Harness, extra: Harness) {}

#[workflow_test]
async fn by_reference(h: &Harness) {}

#[workflow_test]
async fn destructured((a, b): (Harness, Harness)) {}

fn main() {}
