// `&self` on a free fn (copied out of an `impl`, or the Python method habit): our error
// at the receiver is the only one. The body never reads `self`, so the fn is emitted
// without it (rustc's "`self` parameter is only allowed in associated functions" would
// repeat ours at the same place).
use workflow_core::prelude::*;

#[node]
async fn fetch_page(&self, url: String) -> String {
    url
}

fn main() {}
