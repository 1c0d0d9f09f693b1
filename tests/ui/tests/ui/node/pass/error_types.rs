//! The error types a node may return: `BoxError`, `Box<dyn Error + Send + Sync>`,
//! `String`, `std::io::Error` (also through `std::io::Result`).
use workflow_core::prelude::*;

#[node]
async fn a(raw: String) -> Result<u32, workflow_core::BoxError> {
    Ok(raw.trim().parse::<u32>()?)
}

#[node]
async fn b(raw: String) -> Result<u32, Box<dyn std::error::Error + Send + Sync>> {
    Ok(raw.trim().parse::<u32>()?)
}

#[node]
async fn c(raw: String) -> Result<u32, String> {
    raw.trim().parse::<u32>().map_err(|e| e.to_string())
}

#[node]
async fn d(raw: String) -> std::io::Result<u32> {
    Ok(raw.len() as u32)
}

workflow! {
    struct Errors {
        input raw: String,
        a = a(raw),
        b = b(raw),
        c = c(raw),
        d = d(raw),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let run = Runtime::new()
        .execute(Errors, ErrorsInput { raw: "12".into() })
        .await
        .unwrap();
    assert_eq!((run.outputs.a, run.outputs.b, run.outputs.c, run.outputs.d), (12, 12, 12, 2));
}
