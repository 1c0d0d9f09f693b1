// `map(Render, pages)` of a workflow with two inputs, and the input meant for the second
// (`theme`) declared but unused: one mistake, `map`'s error (the input is not reported).
use workflow_core::prelude::*;

#[node]
async fn render(page: String, theme: String) -> String {
    format!("{theme}:{page}")
}

#[node]
async fn split(book: String) -> Vec<String> {
    book.lines().map(String::from).collect()
}

workflow! {
    pub struct Render {
        input page: String,
        input theme: String,
        html = render(page, theme),
    }
}

workflow! {
    struct Book {
        input book: String,
        input theme: String,
        pages = split(book),
        htmls = map(Render, pages),
    }
}

fn main() {}
