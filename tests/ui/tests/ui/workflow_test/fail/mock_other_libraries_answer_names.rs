// A mock answering with one value, by other libraries' names: `MockFn::return_value(x)`
// (Python's `Mock(return_value=x)`), `.returns(x)` and `.return_const(x)` (mockall's).
// One error each saying to write `MockFn::returning(x)`; they were rustc's "no function
// or associated item named `return_value`" and "no method named `returns`" (mistakes44).
use workflow_test::prelude::*;

fn main() {
    let price: MockFn<&str, u32> = MockFn::return_value(250);
    let tax: MockFn<&str, u32> = MockFn::new(|_| 0).returns(20);
    let fee = MockFn::<&str, u32>::new(|_| 0).return_const(5);
    println!("{} {} {}", price.call("a"), tax.call("b"), fee.call("c"));
}
