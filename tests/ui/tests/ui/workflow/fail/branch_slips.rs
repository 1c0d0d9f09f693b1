//! `if ok => { .. }` (a `match` arm's arrow), `else { .. }` with no `if`, and `;` for `,`
//! in every arm: one error each, and the `;` once (was "`if` routes on a binding or
//! input as it is, not an expression", "`else` is a Rust keyword and cannot name an
//! input or binding", and one `;` error per arm).
use workflow_core::prelude::*;

#[derive(Debug, Clone)]
pub enum Size {
    Small,
    Large(u32),
}

#[node]
async fn big(n: u32) -> bool {
    n > 10
}

#[node]
async fn size(n: u32) -> Size {
    if n > 10 { Size::Large(n) } else { Size::Small }
}

#[node]
async fn double(n: u32) -> u32 {
    n * 2
}

workflow! {
    struct Route {
        input n: u32,
        b = big(n),
        else {
            e = double(n),
        }
        s = size(n),
        if b => {
            d = double(n),
        }
        match s {
            Size::Small => { f = double(n); }
            Size::Large(v) => { g = double(n: v); }
        }
    }
}

fn main() {}
