// A resource that may be absent is not `Option<Res<T>>` (which would be an input port):
// one error saying to use `ctx.resource::<T>()`; the workflow adds none.
use workflow_core::prelude::*;

pub struct Cache;

#[node]
async fn load(key: String, cache: Option<Res<Cache>>) -> String {
    let _ = cache.is_some();
    key
}

workflow! {
    struct Lookup {
        input key: String,
        value = load(key),
    }
}

fn main() {}
