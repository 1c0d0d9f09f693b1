// `fetch(url).retry(3)` or `.timeout("1s")` (Prefect's `.with_options(retries=3)`, a
// builder's habit): one error saying to write the binding's attribute, with the value
// written. It was "a binding holds the whole output of `fetch`; connect a field where it
// is used", about fields (mistakes43).
use workflow_core::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("down")]
struct Down;

#[node]
async fn fetch(url: String) -> Result<String, Down> {
    Ok(url)
}

#[node]
async fn size(page: String) -> usize {
    page.len()
}

workflow! {
    struct Retried {
        input url: String,
        page = fetch(url).retry(3),
        n = size(page),
    }
}

workflow! {
    struct Limited {
        input url: String,
        page = fetch(url).timeout("1s"),
        n = size(page),
    }
}

fn main() {
    let _ = (RetriedOutput { n: 1 }, LimitedOutput { n: 1 });
}
