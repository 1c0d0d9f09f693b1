//! An `Rc` workflow input: one error, at the type, saying to use `Arc`.
use std::rc::Rc;
use workflow_core::prelude::*;

#[node]
async fn size(text: std::sync::Arc<String>) -> usize {
    text.len()
}

workflow! {
    struct Etl {
        input text: Rc<String>,
        n = size(text),
    }
}

fn main() {
    let _ = EtlInput { text: Rc::new(String::new()) };
}
