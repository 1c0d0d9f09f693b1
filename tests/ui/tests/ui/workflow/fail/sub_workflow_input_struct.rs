//! A sub-workflow given its input struct, as `rt.execute` takes it: one error at the
//! braces with the ports to write (was "a port connects to a source .., not an
//! expression; .. or add the missing `,`").
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
        page = Render(RenderInput { page: title }),
    }
}

fn main() {}
