//! An expression after a fan-out's `=>` (`=> s * 2`): one error at it; the fan-out keeps
//! its field and the entries after it parse on.
use workflow_core::prelude::*;

#[node]
async fn size_of(url: String) -> usize {
    url.len()
}

#[node]
async fn total(sizes: Vec<usize>) -> usize {
    sizes.iter().sum()
}

workflow! {
    struct Gallery {
        input urls: Vec<String>,
        sizes = for url in urls {
            s = size_of(url),
        } => s * 2,
        sum = total(sizes),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let input = GalleryInput { urls: vec!["ab".into()] };
    let run = Runtime::new().execute(Gallery, input).await.unwrap();
    println!("{}", run.outputs.sum);
}
