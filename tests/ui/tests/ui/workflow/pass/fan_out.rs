//! One output feeds several ports, of one node and of several nodes; a non-`Clone`
//! output may be shared through `Arc`.
use std::sync::Arc;

use workflow_core::prelude::*;

#[node]
async fn numbers(n: u32) -> Vec<u32> {
    (0..n).collect()
}

#[node]
async fn sum(items: Vec<u32>) -> u32 {
    items.iter().sum()
}

#[node]
async fn count(items: Vec<u32>) -> usize {
    items.len()
}

#[node]
async fn zip(left: Vec<u32>, right: Vec<u32>) -> usize {
    left.len() + right.len()
}

pub struct Connection(u32);

#[node]
async fn connect(n: u32) -> Arc<Connection> {
    Arc::new(Connection(n))
}

#[node]
async fn query(conn: Arc<Connection>) -> u32 {
    conn.0
}

workflow! {
    struct FanOut {
        input n: u32,
        numbers = numbers(n),
        sum = sum(items: numbers),
        count = count(items: numbers),
        both = zip(left: numbers, right: numbers),
        conn = connect(n),
        q1 = query(conn),
        q2 = query(conn),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let run = Runtime::new()
        .execute(FanOut, FanOutInput { n: 4 })
        .await
        .unwrap();
    let out = run.outputs;
    assert_eq!((out.sum, out.count, out.both, out.q1, out.q2), (6, 4, 8, 4, 4));
}
