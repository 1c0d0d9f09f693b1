// String-literal arms with an arm that binds the value (`other => ..`): the value is
// matched as it is (a binding would borrow from it), so a `String` against `"eu"` is
// rustc's mismatch; the fix is a node that maps the string to an enum, or no binding.
use workflow_core::prelude::*;

#[node]
async fn region(n: u32) -> String {
    n.to_string()
}

#[node]
async fn go(label: String) -> String {
    label
}

workflow! {
    struct Regions {
        input n: u32,
        r = region(n),
        match r {
            "eu" => { v = go(label: r), }
            other => { v = go(label: other), }
        }
    }
}

fn main() {}
