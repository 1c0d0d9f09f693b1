//! A misnamed port on a node named by a module path.
use workflow_core::prelude::*;

mod nodes {
    use workflow_core::prelude::*;

    #[node]
    pub async fn fetch(url: String) -> Vec<u8> {
        url.into_bytes()
    }
}

workflow! {
    struct Etl {
        input url: String,
        page = nodes::fetch(uri: url),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let _ = Runtime::new().execute(Etl, EtlInput { url: "x".into() }).await;
}
