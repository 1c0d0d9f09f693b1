// A resource parameter connected in the call by its type, `query(n, db: Db)`: one error
// saying a source is an input or a binding, not a type, and that a `Res<Db>` is left out
// of the call. It said to declare `input Db: Type`.
use workflow_core::prelude::*;

pub struct Db {
    pub rows: u32,
}

#[node]
async fn query(n: u32, db: Res<Db>) -> u32 {
    n + db.rows
}

workflow! {
    struct Q {
        input n: u32,
        q = query(n, db: Db),
    }
}

fn main() {}
