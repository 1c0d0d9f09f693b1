// An order-only edge, as other workflow tools have (`#[after(s)]`, `#[depends_on(..)]`):
// one error saying that data edges are the ordering and how to make one from a `()`
// output (it was "unknown attribute `#[after]`" with the list of binding attributes).
use workflow_core::prelude::*;

#[node]
async fn migrate() -> u32 {
    1
}

#[node]
async fn serve() -> u32 {
    2
}

workflow! {
    struct Deploy {
        m = migrate(),
        #[after(m)]
        s = serve(),
    }
}

fn main() {
    let _ = DeployOutput { m: 1, s: 2 };
}
