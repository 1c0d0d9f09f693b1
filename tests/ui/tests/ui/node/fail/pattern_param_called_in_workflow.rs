// A destructured parameter has no port name; a workflow calling the node with the
// value it meant (`add(pair)`) adds no error of its own: the fn's is the one to fix.
use workflow_core::prelude::*;

#[node]
async fn add((a, b): (u32, u32)) -> u32 {
    a + b
}

workflow! {
    struct Sum {
        input pair: (u32, u32),
        sum = add(pair),
    }
}

fn main() {}
