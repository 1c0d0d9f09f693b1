// `store: Res<&dyn Store>`: the fix names the trait object as written, `Res<dyn Store>`
// (the message once read `Res<dynStore>`).
use workflow_core::prelude::*;

trait Store: Send + Sync {
    fn rows(&self) -> u32;
}

#[node]
async fn count(store: Res<&dyn Store>) -> u32 {
    store.rows()
}

workflow! {
    struct Count {
        n = count(),
    }
}

fn main() {
    let _ = CountInput {};
}
