// Inputs typed in Python's spelling (mistakes42): `list[int]` and `str | None`. One
// error each, saying the Rust type (`Vec<i64>`, `Option<String>`), and the input kept
// with it, so the nodes taking those types add nothing. They were "expected `,` between
// workflow entries" at the `[` and the `|`.
use workflow_core::prelude::*;

#[node]
async fn total(items: Vec<i64>) -> i64 {
    items.iter().sum()
}

#[node]
async fn greet(name: Option<String>) -> String {
    name.unwrap_or_default()
}

workflow! {
    struct W {
        input items: list[int],
        input name: str | None,
        sum = total(items),
        hello = greet(name),
    }
}

fn main() {}
