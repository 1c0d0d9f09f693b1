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
async fn query(conn: Connection) -> Result<u32, std::io::Error> {
    let _ = conn;
    Ok(1)
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
