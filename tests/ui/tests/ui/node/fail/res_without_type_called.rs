//! `Res` without its type, on a node a workflow calls: rustc's one error (which says
//! `Res<T>`), not a second "cannot find macro `load`" at the workflow's call.
use workflow_core::prelude::*;

pub struct Db;

#[node]
async fn load(id: u32, db: Res) -> u32 {
    let _ = db;
    id
}

workflow! {
    struct Lookup {
        input id: u32,
        row = load(id),
    }
}

fn main() {}
