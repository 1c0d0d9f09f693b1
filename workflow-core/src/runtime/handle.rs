//! [`RunHandle`]: a live run as a monitor ([`RuntimeBuilder::monitor`]) sees it.

use super::*;

/// A handle on a live run, given to [`RuntimeBuilder::monitor`] callbacks.
#[derive(Debug, Clone)]
pub struct RunHandle {
    run_id: u64,
    workflow: &'static str,
    shared: Weak<RunShared>,
}

impl RunHandle {
    /// The run's id (as in its [`RunReport`](crate::RunReport)).
    pub fn run_id(&self) -> u64 {
        self.run_id
    }

    /// The workflow's name.
    pub fn workflow(&self) -> &'static str {
        self.workflow
    }

    /// A picture of the run now, or `None` once the run's future is gone.
    pub fn snapshot(&self) -> Option<RunSnapshot> {
        self.shared.upgrade().map(|s| s.snapshot())
    }

    /// The run's report so far, or `None` once the run's future is gone: each node as it
    /// stands now ([`NodeStatus::Running`](crate::NodeStatus::Running) for one in flight,
    /// `NotStarted` for one not yet started), with the nodes of its fan-out items and
    /// sub-workflows by path, as the run's final [`RunReport`](crate::RunReport) would
    /// list them. Attempts, start times and durations come from the run's trace when it
    /// is traced; otherwise a started node counts one attempt and has no times (its line
    /// in `{}` shows no `time=`), except a fan-out's finished items, which their
    /// fan-out timed.
    ///
    /// What a test harness records for a run whose future was dropped before it
    /// ended (cut by `tokio::time::timeout`, a `select!`, a crash).
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use std::time::Duration;
    /// use workflow_core::prelude::*;
    /// use workflow_core::{NodeStatus, RunHandle};
    ///
    /// #[node]
    /// async fn quick() -> u32 { 1 }
    ///
    /// #[node]
    /// async fn slow(x: u32) -> u32 {
    ///     tokio::time::sleep(Duration::from_secs(60)).await;
    ///     x
    /// }
    ///
    /// workflow! {
    ///     struct Two {
    ///         a = quick(),
    ///         b = slow(x: a),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(async {
    /// let handles: Arc<Mutex<Vec<RunHandle>>> = Arc::default();
    /// let seen = Arc::clone(&handles);
    /// let rt = Runtime::builder()
    ///     .trace(true)
    ///     .monitor(move |h| seen.lock().unwrap().push(h))
    ///     .build();
    /// let run = rt.execute(Two, TwoInput {});
    /// let peek = async {
    ///     tokio::time::sleep(Duration::from_secs(1)).await;
    ///     handles.lock().unwrap()[0].report_so_far().unwrap()
    /// };
    /// let report = tokio::select! {
    ///     _ = run => unreachable!("`b` sleeps a minute"),
    ///     report = peek => report,
    /// };
    /// assert_eq!(report.node("a").unwrap().status, NodeStatus::Succeeded);
    /// assert_eq!(report.node("b").unwrap().status, NodeStatus::Running);
    /// assert_eq!(report.node("b").unwrap().duration, Duration::from_secs(1));
    /// assert!(handles.lock().unwrap()[0].report_so_far().is_none()); // the run was dropped
    /// # });
    /// ```
    pub fn report_so_far(&self) -> Option<crate::RunReport> {
        self.shared.upgrade().map(|s| s.report_so_far())
    }

    /// Whether the run has ended (its future completed or was dropped) and nothing holds
    /// its state any more: no node future, `Context` or spawned node task is alive.
    pub fn is_finished(&self) -> bool {
        self.shared.strong_count() == 0
    }

    /// Cancels the run, as cancelling the token given to
    /// [`RunOptions::cancel_token`](crate::RunOptions::cancel_token) would: its running
    /// nodes are cancelled (they see [`Context::cancelled`](crate::Context::cancelled)
    /// and get the run's `cancel_grace`), nothing more starts, and the run ends with
    /// [`WorkflowError::Cancelled`](crate::WorkflowError::Cancelled) naming the nodes that
    /// were running. Returns `false` when there was nothing to cancel: the run ended and
    /// its state is gone ([`is_finished`](Self::is_finished)). Cancelling a run that is
    /// ending anyway changes nothing.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use std::time::Duration;
    /// use workflow_core::prelude::*;
    /// use workflow_core::RunHandle;
    ///
    /// #[node]
    /// async fn slow() -> u32 {
    ///     tokio::time::sleep(Duration::from_secs(60)).await;
    ///     1
    /// }
    ///
    /// workflow! {
    ///     struct Slow {
    ///         s = slow(),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(async {
    /// let handles: Arc<Mutex<Vec<RunHandle>>> = Arc::default();
    /// let seen = Arc::clone(&handles);
    /// let rt = Runtime::builder()
    ///     .monitor(move |handle| seen.lock().unwrap().push(handle))
    ///     .build();
    /// let run = tokio::spawn(rt.execute(Slow, SlowInput {}));
    /// tokio::time::sleep(Duration::from_millis(10)).await;
    /// let handle = handles.lock().unwrap()[0].clone();
    /// assert!(handle.cancel());
    /// let err = run.await.unwrap().unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "run of workflow `Slow` was cancelled; still running: s"
    /// );
    /// assert!(!handle.cancel()); // over
    /// # });
    /// ```
    pub fn cancel(&self) -> bool {
        match self.shared.upgrade() {
            Some(run) => {
                // The run's token (made now if nobody asked for one, which wakes the run
                // so that it watches it), not `RunCancel::cancel`, which marks the run
                // stopped without waking it.
                run.cancel.token().cancel();
                true
            }
            None => false,
        }
    }
}

/// A monitor callback over the run's shared state.
pub(super) fn erase_monitor(f: impl Fn(RunHandle) + Send + Sync + 'static) -> Monitor {
    Arc::new(move |run: &Arc<RunShared>| {
        f(RunHandle {
            run_id: run.run_id,
            workflow: run.workflow,
            shared: Arc::downgrade(run),
        })
    })
}
