// A trait object's mock given to `mock` (`h.mock::<dyn Trait>(Arc::new(..))`): one error
// naming `mock_arc`, not rustc's two (`dyn Trait` has no size known at compile time, and
// mismatched types `Arc<MockGateway>` / `dyn Gateway`).
use std::sync::Arc;
use workflow_test::prelude::*;

pub trait Gateway: Send + Sync {}
pub struct MockGateway;
impl Gateway for MockGateway {}

#[workflow_test]
async fn uses_mocks(h: Harness) {
    let gateway = h.mock::<dyn Gateway>(Arc::new(MockGateway));
    let _ = gateway;
    assert_eq!(h.run_count(), 0);
}

fn main() {}
