use workflow_core::prelude::*;

#[derive(Clone, Debug)]
enum Kind {
    Small,
    Big,
}

#[node]
async fn small(n: u32) -> String {
    format!("small {n}")
}

#[node]
async fn big(n: u32, extra: u32) -> String {
    format!("big {n} {extra}")
}

workflow! {
    struct Sizes {
        input n: u32,
        input kind: Kind,
        match kind {
            Kind::Small => {
                label = small(n),
            }
            Kind::Big => {
                input extra: u32,
                label = big(n, extra),
            }
        }
    }
}

fn main() {}
