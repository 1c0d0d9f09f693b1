// A store handed to `RuntimeBuilder::store` as a `Result` not unwrapped (as
// `SqliteStore::open(..)` returns one), in an `Arc`, or borrowed: each is one error
// saying what `.store(..)` takes and how to pass each of these.
use std::sync::Arc;
use workflow_core::prelude::*;
use workflow_core::store::{MemoryStore, StoreError};

fn open(_path: &str) -> Result<MemoryStore, StoreError> {
    Ok(MemoryStore::new())
}

fn main() {
    let _a = Runtime::builder().store(open("runs.db")).build();

    let shared = Arc::new(MemoryStore::new());
    let _b = Runtime::builder().store(shared).build();

    let store = MemoryStore::new();
    let _c = Runtime::builder().store(&store).build();
}
