// A prefix before a source's name (`self.x`, `input.x`, the workflow's name), habits of
// methods and of dynamic workflow builders: one error each, saying to name the input or
// binding directly.
use workflow_core::prelude::*;

#[node]
async fn double(x: u32) -> u32 {
    x * 2
}

workflow! {
    struct Twice {
        input x: u32,
        a = double(x: self.x),
        b = double(x: input.a),
        c = double(x: Twice.x),
    }
}

fn main() {}
