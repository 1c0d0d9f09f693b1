// `RunId::from(42u64)` for `RunId(42)` (mistakes45): the same one error as `RunId::new(42)`,
// saying what a run id is; rustc said "expected `RunId`, found `u64`" at the number.
use workflow_core::prelude::*;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let id = RunId::from(42u64);
    assert_eq!(id.0, 42);
}
