//! Every workflow option and binding attribute, in their valid forms.
use workflow_core::prelude::*;

#[node(timeout = "1s", retry(max = 3, backoff = "10ms", max_backoff = "1s", multiplier = 2, jitter = false))]
async fn step(x: u32) -> u32 {
    x + 1
}

/// A fractional multiplier, and one written as a float.
#[node(retry(max = 2, backoff = "10ms", multiplier = 1.5))]
async fn gentle(x: u32) -> Result<u32, std::io::Error> {
    Ok(x)
}

#[node(retry(max = 2, multiplier = 2.0))]
async fn doubling(x: u32) -> Result<u32, std::io::Error> {
    Ok(x)
}

#[node(spawn)]
async fn last(x: u32) -> u32 {
    x
}

workflow! {
    /// A documented workflow.
    #[workflow(timeout = "2s", deadlock = "500ms", concurrency = 2, failure = "continue", crate = ::workflow_core)]
    pub struct Options {
        /// The seed.
        input x: u32,
        /// Kept as an output although `b` consumes it.
        #[output]
        #[retry(max = 5)]
        #[timeout = "250ms"]
        a = step(x),
        #[spawn]
        b = last(x: a),
    }
}

workflow! {
    #[workflow(sequential, failure = "fail_fast")]
    struct Sequential {
        input x: u32,
        a = step(x),
        c = gentle(x: a),
        #[retry(max = 3, multiplier = 1.25)]
        d = doubling(x: c),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let rt = Runtime::new();
    let run = rt.execute(Options, OptionsInput { x: 1 }).await.unwrap();
    assert_eq!((run.outputs.a, run.outputs.b), (2, 2));
    let run = rt.execute(Sequential, SequentialInput { x: 1 }).await.unwrap();
    assert_eq!(run.outputs.d, 2);
}
