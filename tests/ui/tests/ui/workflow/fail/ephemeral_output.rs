use workflow_core::prelude::*;

pub struct Handle(u32);

#[node]
async fn open(n: u32) -> Handle {
    Handle(n)
}

workflow! {
    #[workflow(durable)]
    struct Files {
        input n: u32,
        #[ephemeral]
        handle = open(n: n),
    }
}

fn main() {}
