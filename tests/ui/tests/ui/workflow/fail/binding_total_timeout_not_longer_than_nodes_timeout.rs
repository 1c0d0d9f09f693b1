//! A binding's `#[retry(total_timeout)]` meets its node's own `timeout` (the binding's
//! retry replaces the node's, its timeout stays): the limit on all attempts ends the
//! first one before its own limit could fire, so no retry ever starts.
use workflow_core::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("gateway busy")]
struct Busy;

#[node(timeout = "5s")]
async fn charge(amount: u32) -> Result<u32, Busy> {
    Ok(amount)
}

workflow! {
    struct Checkout {
        input amount: u32,
        #[retry(max = 3, backoff = "100ms", total_timeout = "5s")]
        paid = charge(amount),
    }
}

fn main() {
    let _ = CheckoutInput { amount: 1 };
}
