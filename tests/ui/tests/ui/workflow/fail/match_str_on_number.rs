// String-literal arms on a `u32` binding: one error at the value, naming its type.
use workflow_core::prelude::*;

#[node]
async fn code(n: u32) -> u32 {
    n
}

#[node]
async fn go(n: u32) -> u32 {
    n
}

workflow! {
    struct Codes {
        input n: u32,
        c = code(n),
        match c {
            "one" => { v = go(n), }
            _ => { v = go(n), }
        }
    }
}

fn main() {}
