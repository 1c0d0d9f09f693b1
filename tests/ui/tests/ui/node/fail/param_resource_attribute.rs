// A parameter marked as a resource the way other frameworks inject one (`#[resource]`,
// `#[inject]`): one error at the attribute, saying to type it `Res<T>`; the node is read
// with that type, so the workflow calling it (and the body reading `db.rows`) add nothing.
// It was rustc's "cannot find attribute `resource`", suggesting thiserror's `#[source]`.
use workflow_core::prelude::*;

pub struct Db {
    pub rows: u32,
}

#[node]
async fn query(n: u32, #[resource] db: Db) -> u32 {
    n + db.rows
}

#[node]
async fn lookup(n: u32, #[inject] db: &Db) -> u32 {
    n * db.rows
}

workflow! {
    struct Q {
        input n: u32,
        q = query(n),
        l = lookup(n: q),
    }
}

fn main() {}
