//! `assert_error::<String>` for a node returning `Result<T, String>`: one error saying
//! that a `String` error is asserted by its message (`assert_error_contains`), not
//! rustc's bare "`String: std::error::Error` is not satisfied".
use workflow_test::prelude::*;

#[node]
async fn parse(text: String) -> Result<u32, String> {
    text.parse().map_err(|_| format!("not a number: {text}"))
}

workflow! {
    struct Parse {
        input text: String,
        n = parse(text),
    }
}

#[workflow_test]
async fn rejects_words(h: Harness) {
    let msg = h.assert_error::<String>(h.execute(Parse, ParseInput { text: "x".into() }).await);
    assert!(msg.contains("not a number"));
}

fn main() {}
