//! The same inside a fan-out's body: an item's binding `#[timeout]` meets its node's own
//! `retry(total_timeout)`, which it is not shorter than.
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
        input amounts: Vec<u32>,
        paid = for amount in amounts {
            #[timeout = "1s"]
            p = charge(amount),
        } => p,
    }
}

fn main() {
    let _ = CheckoutInput { amounts: vec![1] };
}
