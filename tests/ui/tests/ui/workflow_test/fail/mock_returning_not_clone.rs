// `MockFn::returning(Ok(3))` for a `Result` whose error is not `Clone`: one error at the
// value, saying to derive `Clone` or answer with a closure (not rustc's "consider
// borrowing here").
use workflow_test::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("down")]
pub struct Down;

#[workflow_test]
async fn fetches(_h: Harness) {
    let get: MockFn<String, Result<u32, Down>> = MockFn::returning(Ok(3));
    assert!(get.call("u".into()).is_ok());
}

fn main() {}
