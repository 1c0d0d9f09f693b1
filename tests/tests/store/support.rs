//! What the store tests share: temporary directories, where Postgres is (or why its
//! cases are skipped), and the `Visits` resource that counts node executions and
//! aborts a child process inside one (`items`, `subworkflows`).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use workflow_core::store::{RunFilter, RunId, Store};
use workflow_core::Context;

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

/// Counts node executions by path (in memory, and in a file shared with a child
/// process), and aborts the process inside one node (`abort_at`). Two knobs pin what the
/// store holds at the abort, as the recorder commits in the background: `pause` makes
/// every node sleep after it is counted (the recorder commits while items run), and
/// `wait_for` makes the aborting node wait until those rows are committed in `store`.
#[derive(Default)]
pub(crate) struct Visits {
    /// The file each execution's path is appended to.
    pub(crate) file: Option<PathBuf>,
    /// The node path inside which the process aborts.
    pub(crate) abort_at: Option<String>,
    /// How long each node sleeps after it is counted (unless it aborts).
    pub(crate) pause: Duration,
    /// Rows the aborting node waits to see committed in `store` before it aborts.
    pub(crate) wait_for: Vec<String>,
    /// The store `wait_for` is read from.
    pub(crate) store: Option<Arc<dyn Store>>,
    /// The executions so far, by path (visible for `..Visits::default()`; read with
    /// [`Visits::counts`]).
    pub(crate) counts: Mutex<BTreeMap<String, u32>>,
}

impl Visits {
    /// Counts the node running with `ctx`, aborts the process if it is `abort_at`, and
    /// pauses.
    pub(crate) async fn visit(&self, ctx: &Context) {
        let path = ctx.path().to_string();
        *self.counts.lock().unwrap().entry(path.clone()).or_default() += 1;
        if let Some(file) = &self.file {
            append_line(file, &path);
        }
        if self.abort_at.as_deref() == Some(&*path) {
            if !self.wait_for.is_empty() {
                self.await_rows().await;
            }
            std::process::abort();
        }
        if !self.pause.is_zero() {
            tokio::time::sleep(self.pause).await;
        }
    }

    /// Waits (a bounded poll) until the store holds every row of `wait_for`.
    async fn await_rows(&self) {
        let store = self.store.as_ref().expect("a store to wait on");
        for _ in 0..5_000 {
            let runs = store.list_runs(RunFilter::default()).await.unwrap();
            if let Some(run) = runs.first() {
                let rows = paths(store, run.id).await;
                if self.wait_for.iter().all(|w| rows.contains(w)) {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        panic!("rows {:?} were never committed", self.wait_for);
    }

    /// The executions so far, by path.
    pub(crate) fn counts(&self) -> BTreeMap<String, u32> {
        self.counts.lock().unwrap().clone()
    }
}

/// A runtime over `store`, owned by `me`, with `calls` (a test's counters) as a resource.
pub(crate) fn memory_runtime<C: Send + Sync + 'static>(
    store: &Arc<workflow_core::store::MemoryStore>,
    calls: &Arc<C>,
) -> workflow_core::Runtime {
    workflow_core::Runtime::builder()
        .store_arc(Arc::clone(store) as Arc<dyn Store>)
        .owner(workflow_core::store::OwnerId::new("me"))
        .resource_arc(Arc::clone(calls))
        .build()
}

/// Appends `line` to `file` (created if missing): a child process's record of one node
/// execution, which survives its abort (read back with [`file_counts`]).
pub(crate) fn append_line(file: &Path, line: impl std::fmt::Display) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
        .unwrap();
    writeln!(f, "{line}").unwrap();
}

/// The executions a child process wrote to `file` (`Visits::file`, [`append_line`]), by
/// path.
pub(crate) fn file_counts(file: &Path) -> BTreeMap<String, u32> {
    let mut counts = BTreeMap::new();
    for line in std::fs::read_to_string(file).unwrap_or_default().lines() {
        *counts.entry(line.to_owned()).or_default() += 1;
    }
    counts
}

/// The paths of the rows `store` holds for `run`.
pub(crate) async fn paths(store: &Arc<dyn Store>, run: RunId) -> BTreeSet<String> {
    store
        .load_run(run)
        .await
        .unwrap()
        .outputs
        .iter()
        .map(|r| r.path.as_str().to_owned())
        .collect()
}
