// A sub-workflow bound by its input struct's name: one error saying to use the
// workflow's name; the binding's field stays (error-typed), so `front.html` adds nothing.
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
    pub struct Site {
        input cover: String,
        front = RenderInput(page: cover),
    }
}

async fn run() {
    let run = Runtime::new().execute(Site, SiteInput { cover: "c".into() }).await.unwrap();
    let _ = run.outputs.front.html;
}

fn main() {
    let _ = run;
}
