use workflow_core::prelude::*;

#[node]
async fn total(items: impl IntoIterator<Item = u32>) -> u32 {
    items.into_iter().sum()
}

fn main() {}
