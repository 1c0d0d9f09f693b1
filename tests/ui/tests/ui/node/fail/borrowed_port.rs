use workflow_core::prelude::*;

#[node]
async fn len(text: &str) -> usize {
    text.len()
}

fn main() {}
