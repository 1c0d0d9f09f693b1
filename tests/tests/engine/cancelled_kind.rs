//! `WorkflowError::is_cancelled`: a run cancelled from outside (its `RunHandle`, its
//! cancellation token) answers it, as a timeout answers `is_timeout`, so that a caller
//! need not match the variant (trial31 reached for `err.is_cancelled()` next to
//! `is_timeout`/`is_deadlock`/`is_panic` and got rustc's "did you mean `Cancelled`").

use std::sync::{Arc, Mutex};
use std::time::Duration;

use workflow_core::prelude::*;
use workflow_core::RunHandle;

#[node]
async fn crawl(url: String, ctx: &Context) -> usize {
    if url == "slow" {
        ctx.cancelled().await;
        return 0;
    }
    tokio::time::sleep(Duration::from_millis(10)).await;
    url.len()
}

workflow! {
    struct Crawl {
        input urls: Vec<String>,
        pages = for u in urls {
            p = crawl(url: u),
        } => p,
    }
}

fn urls() -> Vec<String> {
    vec!["a".into(), "slow".into(), "bb".into()]
}

#[tokio::test(start_paused = true)]
async fn a_run_cancelled_through_its_handle_is_cancelled_and_names_the_item() {
    let handles: Arc<Mutex<Vec<RunHandle>>> = Arc::default();
    let keep = Arc::clone(&handles);
    let rt = Runtime::builder()
        .monitor(move |h| keep.lock().unwrap().push(h))
        .build();
    let run = tokio::spawn(rt.execute(Crawl, CrawlInput { urls: urls() }));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let handle = handles.lock().unwrap()[0].clone();
    assert!(handle.cancel());
    let err = run.await.unwrap().unwrap_err();
    assert!(err.is_cancelled(), "{err}");
    assert!(
        !err.is_timeout() && !err.is_deadlock() && !err.is_panic(),
        "{err}"
    );
    assert!(err.to_string().contains("pages[1].p"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn a_timeout_is_not_a_cancellation() {
    let err = Runtime::new()
        .execute_with(
            Crawl,
            CrawlInput { urls: urls() },
            RunOptions::new().timeout(Duration::from_millis(100)),
        )
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(!err.is_cancelled(), "{err}");
}
