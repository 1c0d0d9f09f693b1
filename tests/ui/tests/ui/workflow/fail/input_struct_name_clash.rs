//! A user type named like the generated input struct.
use workflow_core::prelude::*;

pub struct EtlInput {
    pub url: String,
}

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
fn main() {}
