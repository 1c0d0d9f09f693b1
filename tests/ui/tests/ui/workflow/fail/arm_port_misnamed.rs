// A pattern binding connected by a name that is not the node's port (`cheap(n)`, whose
// port is `x`): one error, the port's, and not also the slot of `n` (typed by the port it
// feeds) failing to name a port `n`.
use workflow_core::prelude::*;

#[derive(Debug, Clone)]
pub enum Size {
    Small(u32),
    Large(u32),
}

#[node]
async fn measure(x: u32) -> Size {
    if x < 10 { Size::Small(x) } else { Size::Large(x) }
}

#[node]
async fn cheap(x: u32) -> u32 {
    x
}

#[node]
async fn costly(x: u32) -> u32 {
    x * 100
}

workflow! {
    struct Price {
        input x: u32,
        size = measure(x),
        match size {
            Size::Small(n) => { p = cheap(n), }
            Size::Large(n) => { p = costly(x: n), }
        }
    }
}

fn main() {}
