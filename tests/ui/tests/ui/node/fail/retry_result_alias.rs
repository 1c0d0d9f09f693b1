use workflow_core::prelude::*;

#[derive(Debug, thiserror::Error)]
pub enum PayError {
    #[error("unavailable")]
    Unavailable,
}

/// A service's own alias of `Result`, which `#[node]` cannot see through.
pub type PayResult<T> = std::result::Result<T, PayError>;

fn transient(e: &PayError) -> bool {
    matches!(e, PayError::Unavailable)
}

#[node(retry(max = 3, backoff = "1ms", retry_if = transient))]
async fn charge(order: u64) -> PayResult<String> {
    if order == 0 {
        Err(PayError::Unavailable)
    } else {
        Ok(format!("pay-{order}"))
    }
}

#[node(timeout = "1s", retry(max = 3, backoff = "1ms", retry_if = transient))]
async fn refund(order: u64) -> PayResult<Vec<u8>> {
    Ok(order.to_le_bytes().to_vec())
}

fn main() {}
