//! A misspelt option (`start_pause`) says which one was meant.
use workflow_test::prelude::*;

#[workflow_test(start_pause = true)]
async fn paused(h: Harness) {
    let _ = h;
}

fn main() {}
