//! A `#[failure = "collect"]` fan-out read by two nodes: one error at the second
//! consumer, saying why (`WorkflowError` is not `Clone`) and what to do, rather than
//! rustc's `WorkflowError: Clone` at the first.
use workflow_core::prelude::*;

#[node]
async fn size(url: String) -> usize {
    url.len()
}

#[node]
async fn count(sizes: Vec<Result<usize, WorkflowError>>) -> usize {
    sizes.len()
}

#[node]
async fn succeeded(sizes: Vec<Result<usize, WorkflowError>>) -> usize {
    sizes.iter().filter(|s| s.is_ok()).count()
}

workflow! {
    struct Sizes {
        input urls: Vec<String>,
        #[failure = "collect"]
        sizes = for url in urls {
            s = size(url),
        } => s,
        n = count(sizes),
        good = succeeded(sizes),
    }
}

workflow! {
    struct Kept {
        input urls: Vec<String>,
        #[output]
        #[failure = "collect"]
        sizes = for url in urls {
            s = size(url),
        } => s,
        n = count(sizes),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let run = Runtime::new()
        .execute(Sizes, SizesInput { urls: vec!["a".into()] })
        .await
        .unwrap();
    println!("{} {}", run.outputs.n, run.outputs.good);
}
