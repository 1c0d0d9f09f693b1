//! `add_edge("a", "b"),` (a dynamic DAG crate's habit) inside `workflow!`: one error at
//! `add_edge` saying a port names its source; the other entries keep their fields.
use workflow_core::prelude::*;

#[node]
async fn fetch(url: String) -> String {
    url
}

#[node]
async fn parse(raw: String) -> usize {
    raw.len()
}

workflow! {
    struct Wired {
        input url: String,
        a = fetch(url),
        add_edge("a", "b"),
        b = parse(raw: a),
    }
}

fn main() {
    let input = WiredInput { url: "x".into() };
    println!("{input:?}");
}
