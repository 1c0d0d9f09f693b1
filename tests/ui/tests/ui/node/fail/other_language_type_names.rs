// `int`, `float`, `string` or `boolean` (Python's, C's, Java's or TypeScript's names) in
// a node's signature: one error per name, at its first use, naming the Rust type. It was
// rustc's "cannot find type `int`" at each use, plus one more for the return type. And
// `-> None` (Python's annotation of a fn returning nothing): one error saying to remove
// it, where rustc offered `-> Option`.
use workflow_core::prelude::*;

#[node]
async fn triple(n: int) -> int {
    n * 3
}

#[node]
async fn label(name: string, scale: float, loud: boolean) -> string {
    format!("{name} {scale} {loud}")
}

#[node]
async fn log_it(n: i64) -> None {
    let _ = n;
}

workflow! {
    struct W {
        input n: i64,
        t = triple(n),
    }
}

fn main() {
    let _ = |run: Run<WOutput>| run.outputs.t + 1;
}
