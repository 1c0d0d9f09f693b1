//! `rs = map(Render, titles) => html`, the `for` fan-out's collect written on a `map`:
//! one error saying what `map` collects and how to collect one binding per item (was
//! "expected `,` between workflow entries").
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
        pages = map(Render, titles) => html,
    }
}

fn main() {}
