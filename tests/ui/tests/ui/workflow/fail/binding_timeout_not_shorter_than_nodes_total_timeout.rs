//! A binding's `#[timeout]` meets its node's own `retry(total_timeout)` (the binding's
//! timeout replaces the node's, its retry stays): a per-attempt limit as long as the
//! limit on all attempts could never fire.
use workflow_core::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("gateway busy")]
struct Busy;

#[node(retry(max = 3, backoff = "100ms", total_timeout = "1s"))]
async fn charge(amount: u32) -> Result<u32, Busy> {
    Ok(amount)
}

workflow! {
    struct Checkout {
        input amount: u32,
        #[timeout = "2s"]
        paid = charge(amount),
    }
}

fn main() {
    let _ = CheckoutInput { amount: 1 };
}
