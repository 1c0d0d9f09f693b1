// A name given as an option (a Python SDK's `@workflow(name=..)`, an output renamed
// with `#[output(name = ..)]`) and a binding's timeout in parentheses: one error each,
// saying what names a workflow and an output field, and `timeout = "5s"`.
use workflow_core::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("busy")]
struct Busy;

#[node]
async fn fetch_user(id: u64) -> Result<String, Busy> {
    Ok(format!("u{id}"))
}

#[node]
async fn merge(user: String) -> usize {
    user.len()
}

workflow! {
    #[workflow(name = "profile")]
    struct Profile {
        input id: u64,
        #[timeout(5s)]
        user = fetch_user(id),
        #[output(name = "result")]
        total = merge(user),
    }
}

fn main() {
    let out = ProfileOutput { total: 1 };
    println!("{out:?}");
}
