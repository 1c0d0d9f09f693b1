use workflow_core::prelude::*;

#[node]
async fn size(url: String) -> usize {
    url.len()
}

#[node]
async fn total(sizes: Vec<usize>) -> usize {
    sizes.iter().sum()
}

// A `for` fan-out is a binding too: the unused input must still be reported at its
// name, not as a missing macro named after the fan-out's generated ports struct.
workflow! {
    struct Gallery {
        input verbose: bool,
        input urls: Vec<String>,
        sizes = for url in urls {
            s = size(url),
        } => s,
        total = total(sizes),
    }
}

fn main() {}
