// `Etl::mermaid()` (a picture as a fn of the type, as in other libraries): one error
// saying to write the constant `Etl::MERMAID`, not that and rustc's "this function takes
// 1 argument but 0 arguments were supplied" (the hidden method answering `Etl.mermaid()`
// takes its receiver).
use workflow_core::prelude::*;

#[node]
async fn inc(x: u32) -> u32 {
    x + 1
}

workflow! {
    struct Etl {
        input x: u32,
        y = inc(x),
    }
}

fn main() {
    println!("{}", Etl::mermaid());
}
