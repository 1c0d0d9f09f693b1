// `start_durable` with the input first and the workflow second. One error at the input,
// whose note says the workflow goes first.
use workflow_core::prelude::*;

#[node]
async fn fetch(url: String) -> usize {
    url.len()
}

workflow! {
    #[workflow(durable)]
    struct Etl {
        input url: String,
        n = fetch(url),
    }
}

async fn go(rt: Runtime) {
    let _ = rt
        .start_durable(EtlInput { url: "x".into() }, Etl, None)
        .await;
}

fn main() {}
