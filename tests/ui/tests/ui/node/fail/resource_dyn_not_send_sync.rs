//! `Res<dyn Trait>` without `Send + Sync`: one error at the type with the fix (was one
//! error for `Send` and one for `Sync`).
use workflow_core::prelude::*;

pub trait Store {
    fn get(&self, id: u32) -> u32;
}

#[node]
async fn load(store: Res<dyn Store>, id: u32) -> u32 {
    store.get(id)
}

fn main() {}
