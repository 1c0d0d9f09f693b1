//! Edges declared on their own, as in a DAG library (`extract >> transform`, Airflow's
//! operator, or `a -> b`): one error per statement saying that a port names its
//! source; the entries after them are still read, so `run.outputs` keeps its fields.
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
        user = fetch_user(id),
        orders = fetch_orders(id),
        user >> total,
        orders -> total,
        total = merge(user, orders),
    }
}

fn main() {
    let out = ProfileOutput { total: 1 };
    println!("{out:?}");
}
