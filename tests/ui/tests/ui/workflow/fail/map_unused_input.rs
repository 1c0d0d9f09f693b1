// A valid `map` of a one-input workflow does not hide an input no node uses, even one
// named like that workflow's input.
use workflow_core::prelude::*;

#[node]
async fn render(page: String) -> String {
    format!("<p>{page}</p>")
}

#[node]
async fn split(book: String) -> Vec<String> {
    book.lines().map(String::from).collect()
}

workflow! {
    pub struct Render {
        input page: String,
        html = render(page),
    }
}

workflow! {
    struct Book {
        input book: String,
        input page: String,
        pages = split(book),
        htmls = map(Render, pages),
    }
}

fn main() {}
