// A node named by a string, as a dynamic DAG's `add_node("fetch", ..)`: one error at the
// string; the binding keeps its name, so `merge(user, ..)` and `run.outputs.user` add nothing.
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
        "user" = fetch_user(id),
        loud = shout(user),
    }
}

fn main() {
    let input = ProfileInput { id: 1 };
    let _ = input;
    let read = |o: ProfileOutput| o.loud;
    let _ = read;
}
