//! What the store tests share: temporary directories, and where Postgres is (or why its
//! cases are skipped).

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh directory under the system's temp dir, removed when dropped.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    /// A new empty directory named after `case` (unique in this process).
    pub(crate) fn new(case: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "wf-store-{case}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    /// The path of `name` in the directory.
    pub(crate) fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The test server's connection string (`WORKFLOW_TEST_POSTGRES_URL`), or `None` after
/// saying that the Postgres case `what` was skipped and why. With
/// `WORKFLOW_REQUIRE_POSTGRES=1` (as `.ci/run` sets it) a missing server fails instead.
pub(crate) fn postgres_url(what: &str) -> Option<String> {
    match std::env::var("WORKFLOW_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("WORKFLOW_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "WORKFLOW_REQUIRE_POSTGRES=1 but WORKFLOW_TEST_POSTGRES_URL is not set: \
                 the Postgres store tests must run here"
            );
            eprintln!(
                "SKIPPED: Postgres {what}: set WORKFLOW_TEST_POSTGRES_URL to a Postgres \
                 server to run it (.ci/run starts one)"
            );
            None
        }
    }
}
