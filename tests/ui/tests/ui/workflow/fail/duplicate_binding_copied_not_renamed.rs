//! A line copied in a long workflow and not renamed (`b3 = step(x: b2)` written as
//! `b2 = step(x: b1)` again): one error at the duplicate, naming `b3`, which the next
//! line reads and nothing binds. It was that error plus "unknown source `b3`".
use workflow_core::prelude::*;

#[node]
async fn step(x: u32) -> u32 {
    x + 1
}

workflow! {
    struct Chain {
        input x: u32,
        b1 = step(x),
        b2 = step(x: b1),
        b2 = step(x: b1),
        b4 = step(x: b3),
        b5 = step(x: b4),
    }
}

fn main() {}
