// `pages.html` where `pages = map(Render, titles)` is a `Vec<RenderOutput>`: one error
// in the DSL's terms (connect the list whole), not rustc's "no field on `Vec`".
use workflow_core::prelude::*;

#[node]
async fn layout(page: String) -> String {
    format!("<p>{page}</p>")
}

#[node]
async fn join(parts: Vec<String>) -> String {
    parts.concat()
}

workflow! {
    struct Render {
        input page: String,
        html = layout(page),
    }
}

workflow! {
    struct Book {
        input titles: Vec<String>,
        pages = map(Render, titles),
        book = join(parts: pages.html),
    }
}

fn main() {}
