//! A binding's `#[timeout]` shorter than its node's own `retry(total_timeout)`, and a
//! binding's `#[retry(total_timeout)]` longer than its node's own `timeout`: each limit
//! can fire, so both compile (the checks of the `fail` cases
//! `binding_timeout_not_shorter_than_nodes_total_timeout` and
//! `binding_total_timeout_not_longer_than_nodes_timeout` pass them).
use workflow_core::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("gateway busy")]
struct Busy;

#[node(retry(max = 3, backoff = "100ms", total_timeout = "1s"))]
async fn charge(amount: u32) -> Result<u32, Busy> {
    Ok(amount)
}

#[node(timeout = "1s")]
async fn refund(amount: u32) -> Result<u32, Busy> {
    Ok(amount)
}

workflow! {
    struct Checkout {
        input amount: u32,
        #[timeout = "999ms"]
        paid = charge(amount),
        #[retry(max = 3, backoff = "100ms", total_timeout = "1001ms")]
        back = refund(amount: paid),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let run = Runtime::new()
        .execute(Checkout, CheckoutInput { amount: 5 })
        .await
        .unwrap();
    assert_eq!(run.outputs.back, 5);
}
