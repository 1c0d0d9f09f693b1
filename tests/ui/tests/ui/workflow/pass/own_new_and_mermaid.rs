// A user's own `new`, `mermaid`, `run` and `execute` on a workflow struct compile and win over the hidden
// ones that give `Etl::new()` and `Etl::mermaid()` their errors (mistakes45: when those
// were inherent fns, this was E0592, duplicate definitions). `EtlInput`'s own `new` too.
use workflow_core::prelude::*;

#[node]
async fn inc(x: u32) -> u32 {
    x + 1
}

workflow! {
    pub struct Etl {
        input x: u32,
        y = inc(x),
    }
}

impl Etl {
    /// The workflow, as a constructor this crate's other code calls.
    pub fn new() -> Self {
        Etl
    }

    /// The picture, as a fn this crate's other code calls.
    pub fn mermaid() -> String {
        format!("%% {}\n{}", Etl::NAME, Etl::MERMAID)
    }

    /// A method of the same name.
    pub fn describe(&self) -> &'static str {
        Etl::MERMAID
    }

    /// `run` and `execute` of its own (the hidden ones answer `Etl.run(input)`).
    pub async fn run(&self, x: u32) -> u32 {
        Runtime::new().execute(*self, EtlInput { x }).await.unwrap().outputs.y
    }

    pub fn execute(&self) -> &'static str {
        "mine"
    }
}

impl EtlInput {
    pub fn new(x: u32) -> Self {
        EtlInput { x }
    }
}

mod elsewhere {
    // From another module, by the glob of the parent.
    use super::*;

    pub async fn run() -> u32 {
        let run = Runtime::new().execute(Etl::new(), EtlInput::new(2)).await.unwrap();
        assert!(Etl::mermaid().starts_with("%% Etl"));
        run.outputs.y
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let run = Runtime::new().execute(Etl::new(), EtlInput::new(1)).await.unwrap();
    assert_eq!(run.outputs.y, 2);
    assert_eq!(Etl.describe(), Etl::MERMAID);
    assert_eq!(Etl.run(4).await, 5);
    assert_eq!(Etl.execute(), "mine");
    assert_eq!(elsewhere::run().await, 3);
}
