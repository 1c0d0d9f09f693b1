//! Raw identifiers as names (rustc's fix for `gen`, reserved in edition 2024): a node fn,
//! its port, an input, a binding and a port connection spelled `r#..` work as any other name.
use workflow_core::prelude::*;

#[node]
async fn r#gen(seed: u64) -> u64 {
    seed * 31 + 7
}

#[node]
async fn check(r#gen: u64) -> bool {
    r#gen % 2 == 1
}

#[node]
async fn describe(r#type: String, r#gen: u64) -> String {
    format!("{}{}", r#type, r#gen)
}

workflow! {
    struct Pipeline {
        input r#gen: u64,
        input text: String,
        r#try = r#gen(seed: r#gen),
        r#async = check(r#gen: r#try),
        r#type = check(r#gen),
        kind = describe(r#type: text, r#gen),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let run = Runtime::new()
        .execute(Pipeline, PipelineInput { r#gen: 3, text: "v".into() })
        .await
        .unwrap();
    assert!(!run.outputs.r#async);
    assert!(run.outputs.r#type);
    assert_eq!(run.outputs.kind, "v3");
}
