//! `timeout: "5s"`, an option written the struct-literal way: one error saying to write
//! `timeout = "5s"` (a second one, "expected `,`" at the `:`, is gone).
use workflow_core::prelude::*;

#[node(timeout: "5s")]
async fn fetch(url: String) -> String {
    url
}

fn main() {}
