// `RunOptions::new().cancel(token)`, the token's own verb: one error naming `cancel_token`
// (rustc offered `cancel_grace`, which takes a `Duration`).
use workflow_core::prelude::*;

#[node]
async fn double(x: u32) -> u32 {
    x * 2
}

workflow! {
    struct Twice {
        input x: u32,
        y = double(x),
    }
}

#[tokio::main]
async fn main() {
    let token = CancellationToken::new();
    let options = RunOptions::new().cancel(token);
    let run = Runtime::new().execute_with(Twice, TwiceInput { x: 1 }, options).await;
    let _ = run;
}
