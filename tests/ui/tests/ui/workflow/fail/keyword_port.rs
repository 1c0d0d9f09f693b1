// A node parameter named after a keyword is written `r#type`, and so is its port: `type:`
// in a call is one error, at the port, saying to write `r#type: ..`.
use workflow_core::prelude::*;

#[node]
async fn describe(r#type: String, size: usize) -> String {
    format!("{} of {size}", r#type)
}

workflow! {
    struct Describe {
        input kind: String,
        input size: usize,
        text = describe(type: kind, size),
    }
}

fn main() {
    let _ = |run: Run<DescribeOutput>| run.outputs.text;
}
