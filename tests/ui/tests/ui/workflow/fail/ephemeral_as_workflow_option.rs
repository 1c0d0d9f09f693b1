//! `ephemeral` marks a binding (`#[ephemeral] api = connect()`), not the workflow: one
//! error that says so.
use workflow_core::prelude::*;

#[node]
async fn fetch(url: String) -> usize {
    url.len()
}

workflow! {
    #[workflow(durable, ephemeral)]
    struct Weather {
        input url: String,
        n = fetch(url),
    }
}

fn main() {
    let _ = |run: Run<WeatherOutput>| run.outputs.n;
}
