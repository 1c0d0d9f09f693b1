// `Res<dyn Trait>` whose trait is neither `Send` nor `Sync` is one error at the type,
// saying to write `dyn Trait + Send + Sync` (not one error per missing auto trait).
use workflow_core::prelude::*;

pub trait Store {
    fn get(&self, id: u32) -> u32;
}

#[node]
async fn load(store: Res<dyn Store>, id: u32) -> u32 {
    store.get(id)
}

fn main() {}
