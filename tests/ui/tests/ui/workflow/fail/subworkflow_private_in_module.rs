// A private workflow named from outside its module is rustc's privacy error about the
// workflow, naming no hidden macro.
use workflow_core::prelude::*;

mod inner {
    use workflow_core::prelude::*;

    #[node]
    async fn layout(page: String) -> String {
        page
    }

    workflow! {
        struct Render {
            input page: String,
            html = layout(page),
        }
    }
}

workflow! {
    struct Site {
        input cover: String,
        front = inner::Render(page: cover),
    }
}

fn main() {}
