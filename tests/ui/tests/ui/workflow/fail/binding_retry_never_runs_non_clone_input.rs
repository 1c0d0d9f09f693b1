//! `#[retry]` on a node that cannot fail, whose input is not `Clone`: one error, the dead
//! retry (the input need not be `Clone` then).
use workflow_core::prelude::*;

#[node]
async fn fetch(url: String) -> Vec<u8> {
    url.into_bytes()
}

#[node]
async fn parse(raw: Vec<u8>) -> usize {
    raw.len()
}

pub struct Connection;

#[node]
async fn open(url: String) -> Connection {
    let _ = url;
    Connection
}

#[node]
async fn query(conn: Connection) -> u32 {
    let _ = conn;
    1
}

workflow! {
    struct Pipeline {
        input url: String,
        conn = open(url),
        #[retry(max = 3)]
        rows = query(conn),
    }
}

fn main() {}
