// Retries asked of a run, as the client of the ported service did: one error each, saying
// that retries are a node's policy and where to write them.
use workflow_core::prelude::*;

#[node]
async fn ping() -> u32 {
    1
}

workflow! {
    pub struct Ping {
        p = ping(),
    }
}

async fn run() {
    let rt = Runtime::new();
    let _ = rt.execute_with(Ping, PingInput {}, RunOptions::new().retries(3)).await;
    let _ = rt
        .execute_with(Ping, PingInput {}, RunOptions::new().trace(true).retry(5))
        .await;
}

fn main() {
    let _ = run;
}
