//! An input typed `impl Trait`: one error at it, saying to declare a concrete type
//! (not also rustc's errors about `impl Trait` in the generated type alias). The input
//! struct still exists, so code building it adds no error.
use workflow_core::prelude::*;

#[node]
async fn shout(text: String) -> String {
    text.to_uppercase()
}

workflow! {
    pub struct Shout {
        input text: impl Into<String>,
        loud = shout(text),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let _ = Runtime::new().execute(Shout, ShoutInput { text: "hi".to_string() }).await;
}
