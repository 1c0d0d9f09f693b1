// `input tags: Vec<&str>` (a list of the caller's strings): one error at the borrow,
// naming the owned type to declare, not rustc's "missing lifetime specifier" (whose help
// adds a lifetime parameter to the workflow). The input struct gets `Vec<String>`, so
// the port it feeds and code building the input add nothing.
use workflow_core::prelude::*;

#[node]
async fn join(tags: Vec<String>) -> String {
    tags.join(",")
}

workflow! {
    struct Tagged {
        input tags: Vec<&str>,
        joined = join(tags),
    }
}

fn main() {
    let _ = TaggedInput { tags: vec!["a".to_string()] };
}
