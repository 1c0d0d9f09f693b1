//! All graph errors of one `workflow!` are reported together, and code using the
//! workflow's types adds no errors of its own.
use workflow_core::prelude::*;

#[node]
async fn fetch(url: String) -> Vec<u8> {
    url.into_bytes()
}

#[node]
async fn parse(raw: Vec<u8>) -> usize {
    raw.len()
}

workflow! {
    #[workflow(timeout = "soon", retries = 3)]
    struct Pipeline {
        input url: String,
        input unused: bool,
        fetch = fetch(url),
        a = parse(raw: nothing),
        b = parse(raw: fetch, raw: fetch),
        b = parse(raw: fetch),
    }
}

fn main() {
    let input = PipelineInput {
        url: String::new(),
        unused: false,
    };
    let _ = Runtime::new().execute(Pipeline, input);
    let _: fn(PipelineOutput) -> usize = |out| out.b;
}
