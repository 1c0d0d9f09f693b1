//! A resource that is not `Sync` (`Cell`): one error, at the type.
use std::cell::Cell;

use workflow_core::prelude::*;

#[node]
async fn bump(n: u32, counter: Res<Cell<u32>>) -> u32 {
    counter.set(counter.get() + n);
    counter.get()
}

fn main() {}
