//! `node(source)` connects the port named like the source, and `node(x.field)` the port
//! named like the field.
use workflow_core::prelude::*;

#[derive(Debug, Clone)]
pub struct Pair {
    pub left: u32,
    pub right: u32,
}

#[node]
async fn make(seed: u32) -> Pair {
    Pair {
        left: seed,
        right: seed * 10,
    }
}

#[node]
async fn add(left: u32, right: u32, seed: u32) -> u32 {
    left + right + seed
}

workflow! {
    struct Shorthand {
        input seed: u32,
        make = make(seed),
        add = add(make.left, make.right, seed),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let run = Runtime::new()
        .execute(Shorthand, ShorthandInput { seed: 2 })
        .await
        .unwrap();
    assert_eq!(run.outputs.add, 2 + 20 + 2);
}
