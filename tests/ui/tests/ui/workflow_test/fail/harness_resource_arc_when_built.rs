// The builder's `resource_arc` called on a built harness (the injected one): one error
// saying to write `insert_resource_arc`, not rustc's "no method named `resource_arc`"
// with a help pointing at the `resource::<T>()` getter.
use std::sync::Arc;
use workflow_test::prelude::*;

pub trait Gateway: Send + Sync {}
pub struct MockGateway;
impl Gateway for MockGateway {}
pub struct Db;

#[workflow_test]
async fn uses_mocks(h: Harness) {
    let h = h.resource_arc(Arc::new(Db));
    let gateway: Arc<dyn Gateway> = Arc::new(MockGateway);
    h.resource_arc(gateway);
    assert_eq!(h.run_count(), 0);
}

fn main() {}
