//! Every option and fn shape `#[workflow_test]` accepts; `main` runs each test.
use workflow_test::{workflow_test, Harness};

#[workflow_test]
async fn no_options() {}

#[workflow_test(timeout = "5s", deadlock = "1s", start_paused = true)]
async fn with_harness(h: Harness) {
    assert_eq!(h.run_count(), 0);
}

#[workflow_test(flavor = "multi_thread", workers = 2, timeout = "5s")]
async fn multi_thread(_h: Harness) {}

#[workflow_test(flavor = "current_thread", start_paused = false)]
async fn returns_ok() -> Result<(), std::io::Error> {
    Ok(())
}

#[workflow_test]
async fn mut_harness(mut h: workflow_test::Harness) {
    h = h.clone();
    drop(h);
}

mod reexport {
    pub(crate) use workflow_test as testing;
}

#[workflow_test(crate = reexport::testing)]
async fn crate_path() {}

#[workflow_test(crate = "reexport::testing")]
async fn crate_string() {}

fn main() {
    no_options();
    with_harness();
    multi_thread();
    returns_ok();
    mut_harness();
    crate_path();
    crate_string();
}
