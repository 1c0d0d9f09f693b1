//! A node returning a `Result` through an alias not named `Result`: `#[node]` would take
//! the `Result` as the node's value (an `Err` would pass as a success), so it is one
//! error at the return type. Other outputs holding a `Result` are values, and fine.
use workflow_core::prelude::*;

#[derive(Debug, thiserror::Error)]
pub enum PayError {
    #[error("card declined")]
    Declined,
}

/// A service's own alias of `Result`.
pub type PayResult<T> = std::result::Result<T, PayError>;

#[node]
async fn charge(order: u64) -> PayResult<String> {
    if order == 0 {
        Err(PayError::Declined)
    } else {
        Ok(format!("pay-{order}"))
    }
}

// Values that hold a `Result`: no error.
#[node]
async fn attempts(order: u64) -> Vec<PayResult<u64>> {
    vec![Ok(order), Err(PayError::Declined)]
}

#[node]
async fn maybe(order: u64) -> Option<PayResult<u64>> {
    Some(Ok(order))
}

fn main() {}
