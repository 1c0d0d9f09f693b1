//! Fns whose fix is the user's to choose (`impl Trait`, generics) are one error each, at
//! the fn: the workflow using them, the nodes after them and the code reading the outputs
//! add none (the stand-in's unknown types are error types, not the type an error suggests).
use workflow_core::prelude::*;

#[node]
async fn render(n: u32) -> impl std::fmt::Display {
    n
}

#[node]
async fn show<T: std::fmt::Display>(v: T) -> String {
    v.to_string()
}

#[node]
async fn shout(v: impl std::fmt::Display) -> String {
    v.to_string().to_uppercase()
}

#[node]
async fn count(s: String) -> usize {
    s.len()
}

workflow! {
    struct Labels {
        input n: u32,
        #[output]
        r = render(n),
        s = show(v: r),
        t = shout(v: n),
        c = count(s),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let run = Runtime::new().execute(Labels, LabelsInput { n: 1 }).await.unwrap();
    let shown: String = run.outputs.r.to_string();
    println!("{shown} {} {}", run.outputs.c + 1, run.outputs.t);
}
