use workflow_core::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("bad file")]
pub struct Bad;

#[node]
async fn extract(file: String) -> Result<String, Bad> {
    Ok(file)
}

#[node]
async fn count(results: Vec<Result<String, WorkflowError>>) -> usize {
    results.iter().filter(|r| r.is_ok()).count()
}

workflow! {
    #[workflow(durable)]
    pub struct Nightly {
        input files: Vec<String>,
        #[failure = "collect"]
        texts = for f in files {
            t = extract(file: f),
        } => t,
        ok = count(results: texts),
    }
}

fn main() {}
