use workflow_core::prelude::*;

use std::rc::Rc;

#[node]
async fn read(n: Rc<u32>) -> u32 {
    *n
}

fn main() {}
