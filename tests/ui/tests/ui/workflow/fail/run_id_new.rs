// `RunId::new(42)` for `RunId(42)`: one error saying what a run id is. rustc said "no
// function or associated item named `new`" and offered `RunId::ne`.
use workflow_core::prelude::*;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let id = RunId::new(42);
    assert_eq!(id.0, 42);
}
