//! A node call with no binding name (`log(line),`): one error at the call, saying how
//! to name it.
use workflow_core::prelude::*;

#[node]
async fn log(line: String) {
    println!("{line}");
}

workflow! {
    pub struct Audit {
        input line: String,
        log(line),
    }
}

fn main() {}
