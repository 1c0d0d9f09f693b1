//! [`RunSnapshot`]: a live picture of a run, for monitors such as a test watchdog.

use std::fmt;
use std::time::Duration;

use super::NodeStatus;
use crate::trace::ExecutionTrace;

/// A live picture of a run, for monitors such as a test watchdog.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RunSnapshot {
    /// The workflow.
    pub workflow: &'static str,
    /// The run's id.
    pub run_id: u64,
    /// The run's number in the `workflow-test` harness whose `live_runs` took the picture
    /// (`run 1`, as the harness's messages say), `None` elsewhere. `{}` then prints both
    /// numbers, ``run 1 (id 1025) of `Etl` ``, as the run's [`RunReport`](crate::RunReport) does.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub harness_number: Option<u64>,
    /// Time since the run started.
    pub elapsed: Duration,
    /// Each node's state.
    pub nodes: Vec<SnapshotNode>,
    /// The nodes of the child runs in flight (the items a fan-out runs now, a
    /// sub-workflow), named by their paths (`thumbs[3].img`, `report.layout`), in the order
    /// their runs started.
    pub children: Vec<SnapshotChildNode>,
    /// The trace so far, when tracing is on.
    pub trace: Option<ExecutionTrace>,
    /// The nodes waiting out a retry's backoff (by path, in child runs too), each with
    /// the attempt that failed, its error and the delay: their next attempt is
    /// scheduled, so a stall watchdog does not take the wait for a stall. `nodes` shows
    /// them as running. A node stopped during its wait (a `failure = "continue"` run
    /// going on without it) stays listed while the run goes on.
    pub retrying: Vec<crate::error::RetryWait>,
}

/// A node of a child run (a fan-out item, a sub-workflow) in a [`RunSnapshot`].
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::time::Duration;
/// use workflow_core::prelude::*;
/// use workflow_core::RunHandle;
///
/// #[node]
/// async fn download(url: String) -> usize {
///     tokio::time::sleep(Duration::from_secs(1)).await;
///     url.len()
/// }
///
/// workflow! {
///     struct Gallery {
///         input urls: Vec<String>,
///         thumbs = for url in urls {
///             img = download(url),
///         } => img,
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(async {
/// let handles = Arc::new(Mutex::new(Vec::<RunHandle>::new()));
/// let seen = Arc::clone(&handles);
/// let rt = Runtime::builder()
///     .monitor(move |run| seen.lock().unwrap().push(run))
///     .build();
/// let run = tokio::spawn(rt.execute(Gallery, GalleryInput { urls: vec!["a".into(), "b".into()] }));
/// tokio::time::sleep(Duration::from_millis(10)).await;
/// let snapshot = handles.lock().unwrap()[0].snapshot().unwrap();
/// let names: Vec<&str> = snapshot.children.iter().map(|n| &*n.name).collect();
/// assert_eq!(names, ["thumbs[0].img", "thumbs[1].img"]);
/// assert_eq!(snapshot.children[1].status, NodeStatus::Running);
/// run.await.unwrap().unwrap();
/// # });
/// ```
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SnapshotChildNode {
    /// Its path in the run (`thumbs[3].img`).
    pub name: crate::error::NodeName,
    /// Its state.
    pub status: NodeStatus,
    /// The key of the tracked wait it is blocked in.
    pub waits_for: Option<String>,
}

/// A node in a [`RunSnapshot`].
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SnapshotNode {
    /// The binding.
    pub name: &'static str,
    /// Its state.
    pub status: NodeStatus,
    /// The key of the tracked wait it is blocked in.
    pub waits_for: Option<String>,
}

impl fmt::Display for RunSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.harness_number {
            Some(n) => write!(f, "run {n} (id {})", self.run_id)?,
            None => write!(f, "run {}", self.run_id)?,
        }
        writeln!(f, " of `{}` after {:?}:", self.workflow, self.elapsed)?;
        // One column for every name, as a report's (`RunReport`): the widest sets it.
        let width = super::name_column(
            self.nodes
                .iter()
                .map(|n| n.name)
                .chain(self.children.iter().map(|n| &*n.name))
                .chain(self.retrying.iter().map(|w| &*w.node)),
        );
        for n in &self.nodes {
            let state = match (&n.waits_for, n.status) {
                (Some(key), _) => format!("waiting for `{key}`"),
                (None, status) => status.to_string(),
            };
            writeln!(f, "  {:<width$} {state}", n.name)?;
        }
        for n in &self.children {
            let state = match (&n.waits_for, n.status) {
                (Some(key), _) => format!("waiting for `{key}`"),
                (None, status) => status.to_string(),
            };
            writeln!(f, "  {:<width$} {state}", n.name)?;
        }
        for w in &self.retrying {
            writeln!(
                f,
                "  {:<width$} waiting {:?} to retry (attempt {} failed: {})",
                w.node, w.delay, w.attempt, w.error
            )?;
        }
        if let Some(trace) = &self.trace {
            writeln!(f, "  trace so far:")?;
            for e in trace {
                writeln!(f, "    {e}")?;
            }
        }
        Ok(())
    }
}
