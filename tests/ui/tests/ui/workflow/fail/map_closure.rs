// `map` with a closure where the workflow goes is one error at the closure, saying what
// `map` takes and how a `for` passes an item to a port of one's choice (it was "expected
// a source" at `|`, then rustc's "cannot find macro `map`").
use workflow_core::prelude::*;

#[node]
async fn layout(page: String) -> String {
    format!("<p>{page}</p>")
}

workflow! {
    pub struct Render {
        input page: String,
        html = layout(page),
    }
}

workflow! {
    struct Site {
        input titles: Vec<String>,
        pages = map(|t| Render(page: t), titles),
    }
}

fn main() {}
