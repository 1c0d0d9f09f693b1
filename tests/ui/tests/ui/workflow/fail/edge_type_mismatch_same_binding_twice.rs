//! Two workflows with a binding `parse = parse(..)`: the help names the edge trait
//! `B_parse::raw`, not the anonymous block around it (`_::parse::raw`).
use workflow_core::prelude::*;

#[node]
async fn parse(raw: Vec<u8>) -> usize {
    raw.len()
}

workflow! {
    struct A {
        input bytes: Vec<u8>,
        parse = parse(raw: bytes),
    }
}

workflow! {
    struct B {
        input text: String,
        parse = parse(raw: text),
    }
}

fn main() {}
