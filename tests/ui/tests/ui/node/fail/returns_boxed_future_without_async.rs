// A node written as a plain fn returning a boxed future, `Pin<Box<dyn Future<..>>>` or the
// prelude's `BoxFuture`. One error each, saying to write an `async fn` returning the
// future's `Output` (it said to add `async` alone, which makes the future the output).
use std::future::Future;
use std::pin::Pin;
use workflow_core::prelude::*;

#[node]
fn double(n: u32) -> Pin<Box<dyn Future<Output = u32> + Send>> {
    Box::pin(async move { n * 2 })
}

#[node]
fn triple(n: u32) -> BoxFuture<'static, u32> {
    Box::pin(async move { n * 3 })
}

#[node]
async fn show(n: u32) -> String {
    n.to_string()
}

workflow! {
    struct Twice {
        input n: u32,
        d = double(n),
        t = triple(n: d),
        s = show(n: t),
    }
}

fn main() {}
