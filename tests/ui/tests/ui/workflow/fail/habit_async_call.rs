// A node call made `async` by hand, as code awaiting it later would be: one error at
// `async`; the call is parsed on, so `user` keeps its field and consumers.
use workflow_core::prelude::*;

#[node]
async fn fetch_user(id: u64) -> String {
    format!("u{id}")
}

#[node]
async fn shout(user: String) -> String {
    user.to_uppercase()
}

workflow! {
    struct Profile {
        input id: u64,
        user = async fetch_user(id),
        loud = shout(user),
    }
}

fn main() {
    let read = |o: ProfileOutput| o.loud;
    let _ = read;
}
