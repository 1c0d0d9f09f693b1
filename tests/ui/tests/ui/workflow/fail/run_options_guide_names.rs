// The guide's builder names on `RunOptions` (`.with_timeout(d)`, `.with_deadlock_detection(d)`,
// `.with_parallel_execution()`), and `.build()` at the end of the chain. Each is one error
// saying to use `RunOptions`' own methods and pass it as it is (`with_timeout` said
// "`RunOptions` is not a workflow", from the guide's methods on workflows).
use std::time::Duration;
use workflow_core::prelude::*;

#[node]
async fn double(x: u32) -> u32 {
    x * 2
}

workflow! {
    struct Twice {
        input x: u32,
        y = double(x),
    }
}

#[tokio::main]
async fn main() {
    let options = RunOptions::default().with_timeout(Duration::from_secs(1));
    let _ = Runtime::new().execute_with(Twice, TwiceInput { x: 1 }, options).await;
    let _ = RunOptions::new().with_deadlock_detection(Duration::from_secs(5));
    let _ = RunOptions::new().with_parallel_execution();
    let options = RunOptions::new().trace(true).build();
    let _ = Runtime::new().execute_with(Twice, TwiceInput { x: 1 }, options).await;
}
