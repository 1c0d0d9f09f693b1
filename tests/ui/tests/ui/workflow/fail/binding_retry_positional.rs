use workflow_core::prelude::*;
#[node]
async fn fetch(url: String) -> Result<usize, std::io::Error> {
    Ok(url.len())
}
workflow! {
    struct Etl {
        input url: String,
        #[retry(3)]
        n = fetch(url),
    }
}
fn main() {}
