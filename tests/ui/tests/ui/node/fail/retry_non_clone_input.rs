use workflow_core::prelude::*;

pub struct Connection;

#[node(timeout = "1s", retry(max = 3))]
async fn query(conn: Connection, sql: String) -> u32 {
    let _ = (conn, sql);
    1
}

fn main() {}
