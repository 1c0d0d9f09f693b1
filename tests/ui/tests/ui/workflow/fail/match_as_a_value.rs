//! `r = match k { .. }` and `r = if e { .. } else { .. }`: Rust's `match`/`if` as a value
//! (arms that are bare calls). One error at the keyword saying to make it an entry whose
//! arms bind `r`; was "expected the `#[node]` fn that `r` runs".
use workflow_core::prelude::*;

#[derive(Debug, Clone)]
pub enum Kind {
    A(u32),
    B(u32),
}

#[node]
async fn kind(n: u32) -> Kind {
    Kind::A(n)
}

#[node]
async fn even(n: u32) -> bool {
    n % 2 == 0
}

#[node]
async fn on_a(x: u32) -> u32 {
    x
}

workflow! {
    struct Route {
        input n: u32,
        k = kind(n),
        r = match k {
            Kind::A(x) => on_a(x),
            Kind::B(x) => on_a(x),
        },
    }
}

workflow! {
    struct Parity {
        input n: u32,
        e = even(n),
        r = if e { on_a(x: n) } else { on_a(x: n) },
    }
}

fn main() {}
