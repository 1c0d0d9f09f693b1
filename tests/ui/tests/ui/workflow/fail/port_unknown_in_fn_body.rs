//! A misnamed port on a node declared inside a fn body.
use workflow_core::prelude::*;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    #[node]
    async fn double(x: u32) -> u32 {
        x * 2
    }
    workflow! {
        struct Local {
            input x: u32,
            once = double(y: x),
        }
    }
    let _ = Runtime::new().execute(Local, LocalInput { x: 3 }).await;
}
