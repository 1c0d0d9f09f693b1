//! `Res` without its type: one error (rustc's, which says `Res<T>`), not a second from `#[node]`.
use workflow_core::prelude::*;

pub struct Db;

#[node]
async fn load(_db: Res, id: u32) -> u32 {
    id
}

fn main() {}
