//! A runtime's shutdown: it waits for the runs in flight (and what they left behind),
//! then runs the resources' cleanup hooks; [`ShutdownReport`] says what happened.

use super::*;

/// What [`Runtime::shutdown`] did.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShutdownReport {
    /// Runs still in flight when the deadline passed (0 when all finished).
    pub runs_still_active: usize,
    /// Resources whose cleanup ran, in the order it ran.
    pub cleaned: Vec<&'static str>,
    /// Cleanup hooks that panicked: `(resource, message)`.
    pub cleanup_panics: Vec<(&'static str, String)>,
    /// Cleanup hooks still running when [`Runtime::shutdown_timeout`]'s deadline for
    /// them passed, dropped unfinished (always empty after [`Runtime::shutdown`]).
    pub cleanup_timed_out: Vec<&'static str>,
    /// Runs still in flight when [`Runtime::shutdown_timeout`]'s deadline passed, which
    /// it cancelled, by id (a runtime built with
    /// [`RuntimeBuilder::cancel_on_shutdown`]; always empty otherwise). Those still
    /// going a deadline later are counted in `runs_still_active` too.
    pub cancelled: Vec<CancelledRun>,
}

/// A run [`Runtime::shutdown_timeout`] cancelled ([`RuntimeBuilder::cancel_on_shutdown`]).
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CancelledRun {
    /// Its workflow.
    pub workflow: &'static str,
    /// Its id (as in its [`RunReport`](crate::RunReport) and [`RunHandle::run_id`]).
    pub run_id: u64,
    /// A durable run's id in its store: the run is recorded as failed, and
    /// [`Runtime::retry`] runs it again from where it stopped.
    pub durable_run: Option<i64>,
}

/// `run 7 of `Forever``, and ` (durable run 3)` for a durable one.
impl fmt::Display for CancelledRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "run {} of `{}`", self.run_id, self.workflow)?;
        if let Some(durable) = self.durable_run {
            write!(f, " (durable run {durable})")?;
        }
        Ok(())
    }
}

/// One line: the runs left, then each cleanup that ran or panicked, in order.
///
/// ```
/// use std::sync::Arc;
/// use workflow_core::Runtime;
///
/// struct Db;
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let rt = Runtime::builder()
///     .resource_with_cleanup(Db, |_db: Arc<Db>| async {})
///     .build();
/// let report = rt.shutdown().await;
/// assert_eq!(
///     report.to_string(),
///     format!("shut down with no run in flight; cleaned up: {}", std::any::type_name::<Db>())
/// );
/// # });
/// ```
impl fmt::Display for ShutdownReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.runs_still_active {
            0 => f.write_str("shut down with no run in flight")?,
            1 => f.write_str("shut down with 1 run still in flight")?,
            n => write!(f, "shut down with {n} runs still in flight")?,
        }
        for (i, run) in self.cancelled.iter().enumerate() {
            f.write_str(if i == 0 { "; cancelled: " } else { ", " })?;
            write!(f, "{run}")?;
        }
        if self.cleaned.is_empty()
            && self.cleanup_panics.is_empty()
            && self.cleanup_timed_out.is_empty()
        {
            return f.write_str("; no cleanup hooks");
        }
        if !self.cleaned.is_empty() {
            write!(f, "; cleaned up: {}", self.cleaned.join(", "))?;
        }
        for (resource, message) in &self.cleanup_panics {
            write!(f, "; cleanup of {resource} panicked: {message}")?;
        }
        for resource in &self.cleanup_timed_out {
            write!(f, "; cleanup of {resource} did not finish in time")?;
        }
        Ok(())
    }
}

impl ShutdownReport {
    /// Whether the shutdown left nothing behind: no run still in flight, no cleanup hook
    /// that panicked or did not finish in time (as `workflow-test`'s
    /// `LeakReport::is_clean` says of leaks).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use workflow_core::Runtime;
    ///
    /// struct Db;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let rt = Runtime::builder()
    ///     .resource_with_cleanup(Db, |_db: Arc<Db>| async { panic!("closing failed") })
    ///     .build();
    /// let report = rt.shutdown().await;
    /// assert!(!report.is_clean(), "{report}");
    /// assert_eq!(report.cleanup_panics.len(), 1);
    /// assert!(Runtime::new().shutdown().await.is_clean());
    /// # });
    /// ```
    pub fn is_clean(&self) -> bool {
        self.runs_still_active == 0
            && self.cleanup_panics.is_empty()
            && self.cleanup_timed_out.is_empty()
    }
}

impl Runtime {
    /// Stops accepting runs, waits for in-flight runs (and for the tasks of `spawn` nodes
    /// that ended runs aborted, which tokio drops a moment later, and for the records a
    /// durable run whose future was dropped had queued), then runs resource cleanup hooks
    /// in reverse registration order. Cleanup runs exactly once, however often this is
    /// called.
    pub async fn shutdown(&self) -> ShutdownReport {
        self.shutdown_inner(None).await
    }

    /// As [`Runtime::shutdown`], but waits at most `deadline` for in-flight runs before
    /// cleaning up (those runs keep their `Res` handles alive until they end), and at
    /// most `deadline` again for the cleanup hooks: a hook still running then is dropped
    /// and listed in [`ShutdownReport::cleanup_timed_out`]; the hooks after it are still
    /// polled once (one that does not wait completes).
    ///
    /// Runs still in flight after `deadline` are left running (and keep their `Res`
    /// handles), unless the runtime was built with
    /// [`RuntimeBuilder::cancel_on_shutdown`]: then they are cancelled, and the shutdown
    /// waits at most `deadline` again for them to end before cleaning up (see there).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use workflow_core::prelude::*;
    ///
    /// #[node]
    /// async fn forever() -> u32 {
    ///     std::future::pending().await
    /// }
    ///
    /// workflow! {
    ///     struct Forever {
    ///         f = forever(),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(async {
    /// let rt = Runtime::new();
    /// let run = tokio::spawn(rt.execute(Forever, ForeverInput {}));
    /// tokio::task::yield_now().await;
    /// let report = rt.shutdown_timeout(Duration::from_secs(1)).await;
    /// assert_eq!(report.runs_still_active, 1);
    /// assert!(report.cleanup_timed_out.is_empty());
    /// assert!(rt.is_shut_down());
    /// // A run started after shutdown fails at once.
    /// let err = rt.execute(Forever, ForeverInput {}).await.unwrap_err();
    /// assert!(matches!(err, WorkflowError::ShutDown { .. }), "{err}");
    /// run.abort();
    /// # });
    /// ```
    pub async fn shutdown_timeout(&self, deadline: Duration) -> ShutdownReport {
        self.shutdown_inner(Some(deadline)).await
    }

    async fn shutdown_inner(&self, deadline: Option<Duration>) -> ShutdownReport {
        let shared = &self.inner;
        shared.close();
        match deadline {
            None => shared.wait_idle().await,
            Some(d) => {
                let _ = tokio::time::timeout(d, shared.wait_idle()).await;
            }
        }
        // Past the deadline, a runtime that tracks its runs cancels those left, and
        // waits for them as long again (a node may take its run's `cancel_grace`).
        let mut cancelled = Vec::new();
        if let (Some(d), Some(tracked)) = (deadline, &shared.tracked) {
            if shared.active_runs() > 0 {
                cancelled = tracked.cancel_live();
                if !cancelled.is_empty() {
                    let _ = tokio::time::timeout(d, shared.wait_idle()).await;
                }
            }
        }
        let to_clean = shared.resources_mut().take_cleanups();
        let mut report = ShutdownReport {
            runs_still_active: shared.active_runs(),
            cancelled: cancelled
                .into_iter()
                .map(|(workflow, run_id, durable_run)| CancelledRun {
                    workflow,
                    run_id,
                    durable_run,
                })
                .collect(),
            ..ShutdownReport::default()
        };
        let end = deadline.map(crate::sync::deadline_after);
        for (value, name, cleanup) in to_clean {
            // Calling the hook may panic too (a closure that panics before it returns
            // its future), not only its future.
            let hook = std::panic::catch_unwind(AssertUnwindSafe(|| cleanup(value)));
            let outcome = match hook {
                Err(p) => Some(Err(p)),
                Ok(hook) => {
                    let hook = AssertUnwindSafe(hook).catch_unwind();
                    match end {
                        None => Some(hook.await),
                        Some(end) => tokio::time::timeout_at(end, hook).await.ok(),
                    }
                }
            };
            match outcome {
                Some(Ok(())) => report.cleaned.push(name),
                Some(Err(p)) => report
                    .cleanup_panics
                    .push((name, panic_message(p.as_ref()))),
                None => report.cleanup_timed_out.push(name),
            }
        }
        report
    }
}
