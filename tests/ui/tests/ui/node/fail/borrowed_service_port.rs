// `db: &Db`, the way a plain fn borrows a shared service: the borrowed port's error
// says to take a resource as `Res<Db>`, and the workflow leaving `db` unconnected adds
// nothing.
use workflow_core::prelude::*;

pub struct Db {
    rows: Vec<u32>,
}

#[node]
async fn count(db: &Db) -> usize {
    db.rows.len()
}

workflow! {
    struct Count {
        n = count(),
    }
}

fn main() {
    let _ = Runtime::builder().resource(Db { rows: vec![1] }).build();
}
