use workflow_core::prelude::*;
pub struct Db;
#[node]
async fn load(db: Res<Db>, id: u32) -> u32 {
    let _ = db;
    id
}
workflow! {
    struct Etl {
        input id: u32,
        row = load(id, db),
    }
}
fn main() {}
