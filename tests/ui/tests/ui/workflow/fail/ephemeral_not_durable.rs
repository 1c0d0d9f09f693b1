use workflow_core::prelude::*;

#[node]
async fn open(n: u32) -> u32 {
    n
}

#[node]
async fn read(h: u32) -> u32 {
    h
}

workflow! {
    struct Files {
        input n: u32,
        #[ephemeral]
        handle = open(n: n),
        value = read(h: handle),
    }
}

fn main() {}
