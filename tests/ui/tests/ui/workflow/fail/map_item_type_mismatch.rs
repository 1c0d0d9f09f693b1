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
    struct Book {
        input ids: Vec<u32>,
        pages = map(Render, ids),
    }
}

fn main() {}
