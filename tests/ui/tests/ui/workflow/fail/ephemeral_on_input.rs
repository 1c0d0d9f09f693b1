use workflow_core::prelude::*;

#[node]
async fn read(h: u32) -> u32 {
    h
}

workflow! {
    #[workflow(durable)]
    struct Files {
        #[ephemeral]
        input n: u32,
        value = read(h: n),
    }
}

fn main() {}
