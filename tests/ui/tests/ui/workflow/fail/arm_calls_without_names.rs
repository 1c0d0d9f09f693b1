// Node calls without a name in the arms of a `match` (and an `if`): one error, at the
// first, saying to bind the same name in each arm. It was one error per arm (mistakes42,
// left; mistakes43).
use workflow_core::prelude::*;

#[derive(Debug, Clone)]
pub enum Triage {
    Small(u32),
    Large(u32),
}

#[node]
async fn triage(x: u32) -> Triage {
    if x < 10 { Triage::Small(x) } else { Triage::Large(x) }
}

#[node]
async fn pay(order: u32) -> u32 {
    order
}

#[node]
async fn refund(order: u32) -> u32 {
    order
}

workflow! {
    struct Checkout {
        input x: u32,
        t = triage(x),
        match t {
            Triage::Small(o) => { pay(order: o), }
            Triage::Large(o) => { refund(order: o), }
        }
    }
}

fn main() {}
