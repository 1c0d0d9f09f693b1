//! A cleanup hook whose closure returns `()` (its `async move` forgotten): one error
//! saying to return a future, `|db: Arc<Db>| async move { .. }` (it was rustc's "`()` is
//! not a future", with a note on the builder's `Fut: Future` bound).
use std::sync::Arc;

use workflow_core::prelude::*;

pub struct Db;

impl Db {
    fn close(&self) {}
}

#[node]
async fn query(n: u32, db: Res<Db>) -> u32 {
    let _ = db;
    n
}

workflow! {
    struct Q {
        input n: u32,
        v = query(n),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let rt = Runtime::builder()
        .resource_with_cleanup(Db, |db: Arc<Db>| {
            db.close();
        })
        .build();
    let _ = rt.execute(Q, QInput { n: 1 }).await;
}
