//! Iterator code as a binding (`urls.iter().map(..)`), as in plain Rust: one error at it,
//! with the `for` fan-out to write; the binding's field stays, so `main` is quiet.
use workflow_core::prelude::*;

#[node]
async fn size_of(url: String) -> usize {
    url.len()
}

workflow! {
    struct Gallery {
        input urls: Vec<String>,
        sizes = urls.iter().map(|url| size_of(url)),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let input = GalleryInput { urls: vec!["ab".into()] };
    let run = Runtime::new().execute(Gallery, input).await.unwrap();
    println!("{:?}", run.outputs.sizes);
}
