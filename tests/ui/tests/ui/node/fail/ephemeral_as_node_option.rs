// `ephemeral` is an attribute of a binding, not an option of `#[node]`: one error
// saying where it goes. The node's options being wrong, the durable workflow using it
// does not also report that its output cannot be recorded.
use std::sync::Arc;
use workflow_core::prelude::*;

pub struct Conn;

#[node(ephemeral)]
async fn connect() -> Arc<Conn> {
    Arc::new(Conn)
}

#[node]
async fn fetch(api: Arc<Conn>, city: String) -> usize {
    let _ = api;
    city.len()
}

workflow! {
    #[workflow(durable)]
    struct Weather {
        input city: String,
        api = connect(),
        n = fetch(api, city),
    }
}

fn main() {}
