use workflow_core::prelude::*;
#[node]
async fn fetch(url: String) -> usize {
    std::thread::sleep(std::time::Duration::from_millis(1));
    url.len()
}
#[node]
async fn twice(n: usize) -> usize {
    n * 2
}
workflow! {
    struct Etl {
        input url: String,
        n = fetch(url),
        m = twice(n: n.len),
    }
}
fn main() {}
