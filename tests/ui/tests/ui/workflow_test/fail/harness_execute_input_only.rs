use workflow_core::prelude::*;
use workflow_test::{workflow_test, Harness};

#[node]
async fn size(url: String) -> usize {
    url.len()
}

workflow! {
    struct Etl {
        input url: String,
        n = size(url),
    }
}

#[workflow_test]
async fn runs(h: Harness) {
    h.assert_success(h.execute(EtlInput { url: "x".into() }).await);
}

fn main() {}
