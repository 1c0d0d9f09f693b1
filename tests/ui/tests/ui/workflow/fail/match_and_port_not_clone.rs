//! A non-`Clone` output that a `match` routes on and a node also takes: one error (at
//! the port), not a second one at the `match`.
use workflow_core::prelude::*;

#[derive(Debug)]
pub enum Kind {
    Named(String),
    Anonymous,
}

#[node]
async fn classify(id: u32) -> Kind {
    if id > 0 { Kind::Named(format!("#{id}")) } else { Kind::Anonymous }
}

#[node]
async fn describe(kind: Kind) -> String {
    format!("{kind:?}")
}

#[node]
async fn greet(name: String) -> String {
    format!("hello {name}")
}

workflow! {
    pub struct Greet {
        input id: u32,
        kind = classify(id),
        text = describe(kind),
        match kind {
            Kind::Named(name) => { hello = greet(name), }
            Kind::Anonymous => {}
        }
    }
}

fn main() {}
