use workflow_core::prelude::*;

use std::rc::Rc;

#[node]
async fn shared(n: u32) -> Rc<u32> {
    Rc::new(n)
}

fn main() {}
