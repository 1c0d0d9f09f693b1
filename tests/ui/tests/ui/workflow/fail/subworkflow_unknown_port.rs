use workflow_core::prelude::*;

#[node]
async fn layout(page: String) -> String {
    format!("<{page}>")
}

workflow! {
    struct Render {
        input page: String,
        html = layout(page),
    }
}

#[node]
async fn title() -> String {
    "t".to_owned()
}

workflow! {
    struct Site {
        t = title(),
        report = Render(pages: t),
    }
}

fn main() {}
