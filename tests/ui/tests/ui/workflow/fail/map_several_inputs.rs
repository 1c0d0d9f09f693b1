use workflow_core::prelude::*;

#[node]
async fn join(a: String, b: String) -> String {
    a + &b
}

workflow! {
    pub struct Pair {
        input a: String,
        input b: String,
        j = join(a, b),
    }
}

workflow! {
    struct Book {
        input titles: Vec<String>,
        pages = map(Pair, titles),
    }
}

fn main() {}
