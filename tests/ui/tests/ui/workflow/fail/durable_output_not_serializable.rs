use workflow_core::prelude::*;

/// Not serializable: a durable workflow cannot record it.
pub struct Handle(u32);

#[node]
async fn open(n: u32) -> Handle {
    Handle(n)
}

#[node]
async fn read(h: Handle) -> u32 {
    h.0
}

workflow! {
    #[workflow(durable)]
    struct Files {
        input n: u32,
        handle = open(n: n),
        value = read(h: handle),
    }
}

fn main() {}
