// The tuple of a hand-written `tokio::join!`, kept on the left of a binding: one error
// at the tuple, saying to bind each call on its own.
use workflow_core::prelude::*;

#[node]
async fn fetch_user(id: u64) -> String {
    format!("u{id}")
}

#[node]
async fn fetch_orders(id: u64) -> Vec<u32> {
    vec![id as u32]
}

#[node]
async fn merge(user: String, orders: Vec<u32>) -> usize {
    user.len() + orders.len()
}

workflow! {
    struct Profile {
        input id: u64,
        (user, orders) = (fetch_user(id), fetch_orders(id)),
        out = merge(user, orders),
    }
}

fn main() {}
