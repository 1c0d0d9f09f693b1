// `db: Res<&Db>`: one error at `&Db` saying to write `Res<Db>` (it compiled, and every
// run failed with "needs resource `&Db`, which is not registered" while `Db` was).
use workflow_core::prelude::*;

struct Db {
    rows: u32,
}

#[node]
async fn count(db: Res<&Db>) -> u32 {
    db.rows
}

workflow! {
    struct Count {
        n = count(),
    }
}

fn main() {
    let _ = Runtime::builder().resource(Db { rows: 1 }).build();
    let _ = CountInput {};
}
