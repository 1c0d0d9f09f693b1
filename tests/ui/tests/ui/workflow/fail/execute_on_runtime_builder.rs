//! `Runtime::builder()..` without `.build()`, then `execute`: one error saying to add
//! `.build()`, not rustc's "no method named `execute` found for struct `RuntimeBuilder`".
use workflow_core::prelude::*;

pub struct Db;

#[node]
async fn get(db: Res<Db>, id: u32) -> u32 {
    let _ = db;
    id
}

workflow! {
    struct Lookup {
        input id: u32,
        v = get(id),
    }
}

async fn run() -> u32 {
    let rt = Runtime::builder().resource(Db);
    let run = rt.execute(Lookup, LookupInput { id: 1 }).await.unwrap();
    run.outputs.v
}

fn main() {
    let _ = run();
}
