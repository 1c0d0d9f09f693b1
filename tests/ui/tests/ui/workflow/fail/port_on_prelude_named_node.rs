//! A node named like a std prelude macro has no ports callback: its port mistakes are rustc's struct-literal errors.
use workflow_core::prelude::*;

#[node]
async fn format(url: String) -> String {
    url
}

workflow! {
    struct Etl {
        input url: String,
        f = format(uri: url),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let _ = Runtime::new().execute(Etl, EtlInput { url: "x".into() }).await;
}
