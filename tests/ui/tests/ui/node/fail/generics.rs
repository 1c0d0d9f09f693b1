use workflow_core::prelude::*;

#[node]
async fn first<T: Send + 'static>(items: Vec<T>) -> Option<T> {
    items.into_iter().next()
}

fn main() {}
