//! A durable workflow with an `#[ephemeral]` binding whose output (a handle) is not
//! serializable, and a node with a version.
use workflow_core::prelude::*;
use workflow_core::DurableWorkflow;

/// Not serializable, and need not be: never recorded.
pub struct Handle(u32);

#[node]
async fn open(n: u32) -> Handle {
    Handle(n)
}

#[node(version = 2)]
async fn read(h: Handle) -> u32 {
    h.0
}

workflow! {
    #[workflow(durable)]
    struct Files {
        input n: u32,
        #[ephemeral]
        handle = open(n: n),
        value = read(h: handle),
    }
}

fn main() {
    assert_eq!(<Files as DurableWorkflow>::EPHEMERAL, [true, false]);
    assert_eq!(<Files as DurableWorkflow>::NODE_VERSIONS, [1, 2]);
}
