// A workflow with an error of its own (here a timeout that is no duration) keeps its fan-outs' output
// fields usable: reading `run.outputs.ys` and `run.outputs.pages` adds no error (they
// were `()`: "no method named `len` found for unit type `()`").
use workflow_core::prelude::*;

#[node]
async fn double(x: u32) -> u32 {
    x * 2
}

#[node]
async fn label(n: u32) -> String {
    n.to_string()
}

workflow! {
    pub struct Page {
        input n: u32,
        text = label(n),
    }
}

workflow! {
    struct Report {
        input xs: Vec<u32>,
        ys = for x in xs {
            y = double(x),
        } => y,
        pages = map(Page, xs),
        #[timeout = "soon"]
        s = label(n: k),
        input k: u32,
    }
}

#[tokio::main]
async fn main() {
    let run = Runtime::new().execute(Report, ReportInput { xs: vec![1, 2], k: 3 }).await.unwrap();
    assert_eq!(run.outputs.ys.len(), 2);
    assert_eq!(run.outputs.pages[0].text, "1");
}
