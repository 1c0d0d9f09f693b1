//! A retry that never runs on a node with a non-`Clone` input: one error, the dead retry
//! (the input need not be `Clone` then).
use workflow_core::prelude::*;


pub struct Conn;

#[node(retry(max = 3))]
async fn query(conn: Conn) -> u32 {
    let _ = conn;
    1
}

fn main() {}
