// `h.assert_order(&["page", "sum"])` (a list of nodes in the order they ran, mistakes45):
// one error naming `assert_before`, which checks one pair; rustc's own help offered
// `assert_error`, one letter away.
use workflow_test::prelude::*;

#[node]
async fn fetch(url: String) -> Vec<u32> {
    vec![url.len() as u32]
}

#[node]
async fn total(items: Vec<u32>) -> u32 {
    items.iter().sum()
}

workflow! {
    struct Etl {
        input url: String,
        page = fetch(url),
        sum = total(items: page),
    }
}

#[workflow_test]
async fn in_order(h: Harness) {
    h.assert_success(h.execute(Etl, EtlInput { url: "u".into() }).await);
    h.assert_order(&["page", "sum"]);
}

fn main() {}
