//! `assert_called_with(&42)` on a mock that records `String`s: one error saying what
//! the calls are and what they compare with (it was rustc's "the trait bound `String:
//! Borrow<{integer}>` is not satisfied", with a note on `str`'s `Borrow` impl).
use workflow_test::MockFn;

fn main() {
    let get = MockFn::new(|path: String| path.len());
    get.call("/api".into());
    get.assert_called_with(&42);
    get.assert_any_call("/api");
}
