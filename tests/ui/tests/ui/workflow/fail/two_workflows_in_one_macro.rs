// Two workflows in one `workflow!`: one error at the second, saying to split them; the
// first stays declared, so code using it adds nothing.
use workflow_core::prelude::*;

#[node]
async fn double(x: u32) -> u32 {
    x * 2
}

workflow! {
    struct A {
        input x: u32,
        a = double(x),
    }
    struct B {
        input x: u32,
        b = double(x),
    }
}

fn main() {
    let _ = AInput { x: 1 };
}
