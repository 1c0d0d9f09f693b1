// A fn that borrows in and out is one mistake, said once at the first borrowed port.
use workflow_core::prelude::*;

#[node]
async fn first<'a>(items: &'a [String]) -> &'a str {
    &items[0]
}

fn main() {}
