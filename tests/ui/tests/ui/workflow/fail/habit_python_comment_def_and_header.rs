//! Python written in `workflow!`: a `#` comment (once per workflow, the entries after it
//! kept), `def` before a binding, `True` as a source, a conditional expression
//! (`a(..) if ok else b(..)`), and `struct W:` (like `class W:`): one error each saying
//! what Rust writes. They were "expected square brackets", "expected `=` after `def`",
//! "unknown source `True` .. declare `input True: Type`", "expected `,` between workflow
//! entries" and "expected curly braces".
use workflow_core::prelude::*;

#[node]
async fn double(n: u32) -> u32 {
    n * 2
}

#[node]
async fn show(n: u32, loud: bool) -> String {
    if loud { n.to_string().to_uppercase() } else { n.to_string() }
}

workflow! {
    struct Report {
        input n: u32,
        input loud: bool,
        d = double(n),  # the doubled value
        def s = show(n: d, loud),  # shown
        t = show(n, loud: True),
        u = double(n) if loud else double(n: d),
    }
}

workflow! {
    struct Plain: {
        input n: u32,
        d = double(n),
    }
}

fn main() {
    let _ = |run: Run<ReportOutput>| (run.outputs.s, run.outputs.t, run.outputs.u);
    let _ = |run: Run<PlainOutput>| run.outputs.d;
}
