//! A harness mock whose answer panics, called by a node: the node's `NodePanicked`,
//! whose message names the mock and the call, and the mock's records stay usable (the
//! panicking call is recorded; the next run calls it again).

use workflow_core::prelude::*;
use workflow_test::{Harness, MockFn};

type Pay = MockFn<u32, Result<u32, String>>;

#[node]
async fn charge(amount: u32, pay: Res<Pay>) -> Result<u32, String> {
    pay.call(amount)
}

workflow! {
    struct Checkout {
        input amount: u32,
        paid = charge(amount),
    }
}

/// Answers up to 100, panics above.
fn answer(amount: u32) -> Result<u32, String> {
    assert!(amount <= 100, "limit exceeded: {amount}");
    Ok(amount)
}

/// Runs `Checkout` of 500 (the mock panics), then of 5, with `pay` as the mock: the
/// first is `paid`'s panic with `message`; the mock recorded both calls.
async fn check(pay: Pay, message: &str) {
    let h = Harness::builder().resource(pay.clone()).build();
    let err = h
        .execute(Checkout, CheckoutInput { amount: 500 })
        .await
        .unwrap_err();
    assert!(matches!(err, WorkflowError::NodePanicked { .. }), "{err:?}");
    assert_eq!(err.node(), Some("paid"));
    assert_eq!(
        err.to_string(),
        format!("node `paid` of workflow `Checkout` panicked: {message}")
    );
    assert_eq!(pay.calls(), [500]);
    h.assert_executed("paid", 1);
    let run = h
        .execute(Checkout, CheckoutInput { amount: 5 })
        .await
        .unwrap();
    assert_eq!(run.outputs.paid, 5);
    pay.assert_called_times(2);
    assert_eq!(pay.calls(), [500, 5]);
    h.assert_executed("paid", 2);
}

/// A mock made with `MockFn::new` is named by its type, as the test wrote it.
#[tokio::test]
async fn a_mock_whose_answer_panics_is_its_nodes_panic_naming_the_mock() {
    check(
        MockFn::new(answer),
        "the answer of mock `MockFn<u32, Result<u32, String>>` panicked on its call 1: \
         limit exceeded: 500",
    )
    .await;
}

/// A mock made with `MockFn::named` is named by its name.
#[tokio::test]
async fn a_named_mock_whose_answer_panics_is_named_by_its_name() {
    check(
        MockFn::named("payments", answer),
        "the answer of mock `payments` panicked on its call 1: limit exceeded: 500",
    )
    .await;
}
