// `db: Db` (a port) where `db: Res<Db>` (a resource) was meant: the unconnected port's
// error says to take it as a `Res`, naming its type.
use workflow_core::prelude::*;

pub struct Db {
    rows: Vec<u32>,
}

#[node]
async fn count(db: Db) -> usize {
    db.rows.len()
}

workflow! {
    struct Count {
        n = count(),
    }
}

fn main() {}
