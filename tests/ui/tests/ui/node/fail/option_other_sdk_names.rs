// Options of other SDKs' decorators, and a duration in parentheses: each one error
// that names what to write (`spawn_blocking`; no cache but a durable workflow's
// restored outputs; `timeout = "5s"` with the duration written).
use workflow_core::prelude::*;

#[node(blocking)]
fn hash(id: u64) -> u64 {
    id * 31
}

#[node(cache)]
async fn expensive(id: u64) -> u64 {
    id
}

#[node(timeout(5s))]
async fn slow(id: u64) -> u64 {
    id
}

#[node(timeout("2s"))]
async fn slower(id: u64) -> u64 {
    id
}

fn main() {}
