// A parameter with a default value (a Python or Kotlin habit): rustc's own error at the
// `=` ("parameter defaults are not supported") is the only one. The node is the fn
// without the default, so a workflow connecting the port compiles, and one calling
// `page()` is told to connect `n` (a port's value comes from its workflow).
use workflow_core::prelude::*;

#[node]
async fn page(n: u32 = 10) -> u32 {
    n
}

workflow! {
    struct Pages {
        input n: u32,
        p = page(n),
    }
}

fn main() {
    let out = PagesOutput { p: 1 };
    println!("{out:?}");
}
