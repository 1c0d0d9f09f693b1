//! `map(&Render, titles)`, the workflow passed by reference as a fn to a Rust `map`: one
//! error at the `&`, and the fan-out still runs `Render` per item. It was two: "remove
//! `&`: ports take their source by value" and rustc's "cannot find macro `map`".
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
        pages = map(&Render, titles),
    }
}

fn main() {}
