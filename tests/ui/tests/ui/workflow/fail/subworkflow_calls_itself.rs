use workflow_core::prelude::*;

#[node]
async fn layout(page: String) -> String {
    page
}

workflow! {
    pub struct Render {
        input page: String,
        html = layout(page),
        again = Render(page: html),
    }
}

fn main() {}
