// The guide's builder calls written as options: `.with_parallel_execution()`,
// `.with_deadlock_detection(timeout=5.0)` and `.with_timeout(1.0)` (seconds). Each is one
// error saying what to write.
use workflow_core::prelude::*;

#[node]
async fn task(n: u32) -> u32 {
    n
}

workflow! {
    #[workflow(parallel_execution, deadlock_detection = "5s", timeout = 1.0)]
    struct Guide {
        input n: u32,
        task1 = task(n),
        task2 = task(n),
    }
}

fn main() {}
