// A durable workflow's input borrowing `'static` data: one error at the reference
// saying which owned type to declare (it was rustc's "implementation of `Deserialize`
// is not general enough", spanned at the whole macro call).
use workflow_core::prelude::*;

#[node]
async fn greet(name: &'static str) -> String {
    format!("hi {name}")
}

#[node]
async fn count(ids: Vec<u32>) -> usize {
    ids.len()
}

workflow! {
    #[workflow(durable)]
    struct Greeting {
        input name: &'static str,
        input ids: &'static [u32],
        g = greet(name),
        n = count(ids),
    }
}

fn main() {
    let _ = GreetingInput { name: "x", ids: &[1] };
}
