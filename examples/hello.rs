//! The smallest workflow: two nodes and one edge.
//!
//! Run with `cargo run --example hello`. `hello-expanded.rs` beside this file shows
//! what the macros generate for it.

use workflow_core::prelude::*;

/// Greets someone.
#[node]
async fn greet(name: String) -> String {
    format!("hello, {name}")
}

/// Counts the characters of a text.
#[node]
async fn length(text: String) -> usize {
    text.chars().count()
}

workflow! {
    /// Greets, then measures the greeting.
    pub struct Hello {
        input name: String,
        greeting = greet(name),
        size = length(text: greeting),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), WorkflowError> {
    let run = Runtime::new()
        .execute(
            Hello,
            HelloInput {
                name: "world".into(),
            },
        )
        .await?;
    println!("{} characters", run.outputs.size);
    Ok(())
}
