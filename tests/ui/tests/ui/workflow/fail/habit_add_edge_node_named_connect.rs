//! A node fn that happens to be called `connect`, called without a name: the usual
//! "give this node call a name", not the `add_edge("a", "b")` habit's message.
use workflow_core::prelude::*;

#[node]
async fn connect(url: String) -> String {
    format!("connected to {url}")
}

workflow! {
    struct Dial {
        input url: String,
        connect(url),
    }
}

fn main() {}
