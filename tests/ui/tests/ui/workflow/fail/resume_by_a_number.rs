// `rt.resume(Weather, id)` with the id kept as a `u64` (or an `i64`, a `String` read
// from a command line, a `&RunId`): one error at it saying what names a run, not
// rustc's "expected `RunId`, found `u64`".
use workflow_core::prelude::*;

#[node]
async fn forecast(city: String) -> String {
    format!("sunny in {city}")
}

workflow! {
    #[workflow(durable)]
    struct Weather {
        input city: String,
        report = forecast(city),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), WorkflowError> {
    let rt = Runtime::builder().store(MemoryStore::new()).build();
    let id: u64 = 42;
    let run = rt.resume(Weather, id).await?;
    println!("{}", run.outputs.report);
    Ok(())
}
