use workflow_core::prelude::*;

use std::rc::Rc;

async fn tick() {}

#[node]
async fn count(n: u32) -> u32 {
    let local = Rc::new(n);
    tick().await;
    *local
}

fn main() {}
