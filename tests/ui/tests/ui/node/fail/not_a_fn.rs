use workflow_core::prelude::*;

#[node]
struct Fetch {
    url: String,
}

fn main() {}
