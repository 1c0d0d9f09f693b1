// `input url: String?` (Kotlin's, Swift's and TypeScript's optional type): one error
// saying to write `Option<String>`; the input is kept as written, so `fetch(url)` and
// `Opt { url }` add nothing. It was "expected `,` between workflow entries" (mistakes43).
use workflow_core::prelude::*;

#[node]
async fn fetch(url: String) -> usize {
    url.len()
}

workflow! {
    struct Opt {
        input url: String?,
        page = fetch(url),
    }
}

fn main() {
    let _ = OptInput { url: String::new() };
}
