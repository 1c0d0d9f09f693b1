//! `#[tokio::test]` above `#[workflow_test]` (tokio's expansion runs first): one error.
use workflow_test::workflow_test;

#[tokio::test]
#[workflow_test]
async fn runs() {}

fn main() {}
