//! An unconnected port on a `pub` node brought in with `use`.
use workflow_core::prelude::*;

mod nodes {
    use workflow_core::prelude::*;

    #[node]
    pub async fn join(left: String, right: String) -> String {
        left + &right
    }
}

use nodes::join;

workflow! {
    struct Etl {
        input url: String,
        page = join(left: url),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let _ = Runtime::new().execute(Etl, EtlInput { url: "x".into() }).await;
}
