//! A node that takes a shared client as `Arc<T>` (the axum `State` habit), left
//! unconnected: the one error says how to take it as a resource.
use std::sync::Arc;

use workflow_core::prelude::*;

#[derive(Debug)]
pub struct Db;

#[node]
async fn query(db: Arc<Db>, sql: String) -> usize {
    let _ = db;
    sql.len()
}

workflow! {
    pub struct Report {
        input sql: String,
        rows = query(sql),
    }
}

fn main() {
    let _ = ReportInput { sql: "select 1".into() };
}
