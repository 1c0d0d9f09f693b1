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
        input title: String,
        front = Render(),
    }
}

fn main() {}
