//! [`RunOptions`]: one run's options over the workflow's own policies.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::policy::FailurePolicy;

/// A length of time given to [`RunOptions`] ([`timeout`](RunOptions::timeout),
/// [`deadlock`](RunOptions::deadlock), [`cancel_grace`](RunOptions::cancel_grace)): a
/// [`Duration`], the one type that implements it (sealed). It exists so that a string or
/// a bare number there (`.timeout("2s")`, the attributes' spelling, or `.timeout(2)`) is
/// one error saying to write a `Duration`, where it was rustc's "mismatched types".
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use workflow_core::RunOptions;
///
/// let opts = RunOptions::new()
///     .timeout(Duration::from_secs(2))
///     .deadlock(Duration::from_millis(500))
///     .cancel_grace(Duration::from_millis(100));
/// # let _ = opts;
/// ```
#[diagnostic::on_unimplemented(
    message = "`RunOptions` takes a `Duration`, not `{Self}`: write `Duration::from_secs(2)`, `Duration::from_millis(500)` or `Duration::from_secs_f64(0.5)` (`use std::time::Duration;`)",
    label = "expected a `Duration`",
    note = "`\"2s\"` is how the attributes (`#[node(timeout = \"2s\")]`, `#[workflow(..)]`, `#[workflow_test(..)]`) spell a duration; in code it is a `Duration`"
)]
pub trait RunDuration: sealed::Sealed {
    /// The duration itself.
    #[doc(hidden)]
    fn into_duration(self) -> Duration;
}

impl RunDuration for Duration {
    fn into_duration(self) -> Duration {
        self
    }
}

mod sealed {
    /// Implemented for [`Duration`](std::time::Duration) only: nobody else can implement
    /// [`RunDuration`](super::RunDuration).
    pub trait Sealed {}
    impl Sealed for std::time::Duration {}
}

/// Options of one run, over the workflow's own `#[workflow(..)]` policies.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use workflow_core::RunOptions;
///
/// let opts = RunOptions::new().trace(true).timeout(Duration::from_secs(5)).concurrency(4);
/// # let _ = opts;
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct RunOptions {
    pub(crate) trace: Option<bool>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) deadlock: Option<Duration>,
    pub(crate) concurrency: Option<usize>,
    pub(crate) failure: Option<FailurePolicy>,
    pub(crate) cancel: Option<CancellationToken>,
    pub(crate) cancel_grace: Option<Duration>,
}

impl RunOptions {
    /// No options (what `Default` gives), as a constant.
    pub(crate) const NONE: Self = Self {
        trace: None,
        timeout: None,
        deadlock: None,
        concurrency: None,
        failure: None,
        cancel: None,
        cancel_grace: None,
    };

    /// Defaults: the workflow's own policies, tracing as the runtime says.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records an [`ExecutionTrace`](crate::ExecutionTrace).
    pub fn trace(mut self, on: bool) -> Self {
        self.trace = Some(on);
        self
    }

    /// Limits the whole run (replaces `#[workflow(timeout = ..)]`).
    ///
    /// A zero `limit` is not "no limit": the run times out at its first poll, before any
    /// node starts (unlike [`tokio::time::timeout`], which polls its future once first).
    /// Leave the option unset for a run without a time limit.
    ///
    /// In the same way, a run whose last node ends exactly at the limit (ties are exact
    /// on tokio's paused clock) times out: the limit is looked at before what the nodes
    /// did. A node's own `#[timeout]` is the other way round, as `tokio::time::timeout`
    /// is: a node that ends exactly at its limit succeeds.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use workflow_core::prelude::*;
    ///
    /// #[node]
    /// async fn slow() -> u32 {
    ///     tokio::time::sleep(Duration::from_secs(10)).await;
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
    /// let opts = RunOptions::new().timeout(Duration::from_millis(250));
    /// let err = Runtime::new().execute_with(Slow, SlowInput {}, opts).await.unwrap_err();
    /// assert!(err.is_timeout());
    /// assert_eq!(err.to_string(), "the run of workflow `Slow` timed out after 250ms; still running: s");
    /// # });
    /// ```
    pub fn timeout(mut self, limit: impl RunDuration) -> Self {
        self.timeout = Some(limit.into_duration());
        self
    }

    /// Fails the run with a deadlock when no node finishes for `limit` (replaces
    /// `#[workflow(deadlock = ..)]`).
    ///
    /// This stall watchdog cannot tell a stuck node from a slow one: a node that runs
    /// longer than `limit` while no other node finishes is reported as a stall
    /// ([`DeadlockKind::Stalled`](crate::DeadlockKind::Stalled)). Set it above the
    /// slowest attempt's time (its timeout). A retry's backoff is not a stall: the limit
    /// counts from the end of the wait, when the next attempt begins; a zero limit
    /// reports the first node that awaits anything (a sleep, I/O) as stalled. Nodes blocked
    /// in tracked waits ([`Context::wait`](crate::Context::wait)) are found at once,
    /// whatever the limit.
    ///
    /// The limit counts from the last node of the run that finished. A node inside a
    /// child run (a fan-out item's, a sub-workflow's) finishing is progress too, but the
    /// timer sees it only when it fires (no clock is read as each node of a child run
    /// finishes). So the timer of a run with fan-outs or sub-workflows looks every
    /// quarter `limit`, and a stall after such progress is reported between `limit` and
    /// 1.25 × `limit` after it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use workflow_core::prelude::*;
    ///
    /// /// Waits on something that never answers (not a tracked wait).
    /// #[node]
    /// async fn hung() -> u32 {
    ///     std::future::pending().await
    /// }
    ///
    /// workflow! {
    ///     struct Hung {
    ///         h = hung(),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(async {
    /// let opts = RunOptions::new().deadlock(Duration::from_secs(2));
    /// let err = Runtime::new().execute_with(Hung, HungInput {}, opts).await.unwrap_err();
    /// assert!(err.is_deadlock());
    /// assert!(err.to_string().contains("h"), "{err}");
    /// # });
    /// ```
    pub fn deadlock(mut self, limit: impl RunDuration) -> Self {
        self.deadlock = Some(limit.into_duration());
        self
    }

    /// At most `n` nodes of this run in flight (`1` runs nodes one at a time; `0` counts
    /// as `1`); overrides the workflow's `#[workflow(concurrency = N)]` / `sequential`.
    ///
    /// The limit reaches the child runs too, each on its own: a fan-out (one node of the
    /// run) runs at most `n` items at a time (or its own `#[concurrency = M]`, if
    /// smaller), and a sub-workflow at most `n` of its nodes. So with `1` the whole run,
    /// fan-out items and sub-workflows included, runs one node at a time; with `n > 1`,
    /// nested levels multiply (a fan-out's items running fan-outs of their own may run
    /// `n × n` nodes at once). The runtime's `max_concurrent_nodes` bounds all runs
    /// together.
    ///
    /// # Examples
    ///
    /// Four independent 100 ms nodes, two at a time, take 200 ms (on tokio's paused
    /// clock here):
    ///
    /// ```
    /// use std::time::Duration;
    /// use workflow_core::prelude::*;
    ///
    /// #[node]
    /// async fn work(id: u32) -> u32 {
    ///     tokio::time::sleep(Duration::from_millis(100)).await;
    ///     id
    /// }
    ///
    /// workflow! {
    ///     struct Four {
    ///         input x: u32,
    ///         a = work(id: x),
    ///         b = work(id: x),
    ///         c = work(id: x),
    ///         d = work(id: x),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(async {
    /// let start = tokio::time::Instant::now();
    /// let opts = RunOptions::new().concurrency(2);
    /// Runtime::new().execute_with(Four, FourInput { x: 1 }, opts).await.unwrap();
    /// assert_eq!(start.elapsed(), Duration::from_millis(200));
    /// # });
    /// ```
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = Some(n.max(1));
        self
    }

    /// Runs nodes one at a time: `concurrency(1)`.
    pub fn sequential(self) -> Self {
        self.concurrency(1)
    }

    /// Fail-fast (the default: the first failure cancels the run) or continue
    /// (independent branches finish, every failure is reported together).
    ///
    /// # Examples
    ///
    /// ```
    /// use workflow_core::prelude::*;
    ///
    /// #[derive(Debug, thiserror::Error)]
    /// #[error("bad {0}")]
    /// struct Bad(u32);
    ///
    /// #[node]
    /// async fn check(n: u32) -> Result<u32, Bad> {
    ///     if n % 2 == 0 { Ok(n) } else { Err(Bad(n)) }
    /// }
    ///
    /// workflow! {
    ///     struct Checks {
    ///         input a: u32,
    ///         input b: u32,
    ///         input c: u32,
    ///         x = check(n: a),
    ///         y = check(n: b),
    ///         z = check(n: c),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let opts = RunOptions::new().failure(FailurePolicy::Continue);
    /// let input = ChecksInput { a: 1, b: 2, c: 3 };
    /// let err = Runtime::new().execute_with(Checks, input, opts).await.unwrap_err();
    /// let WorkflowError::Multiple { errors, .. } = &err else { panic!("{err}") };
    /// let failed: Vec<_> = errors.iter().filter_map(|e| e.node()).collect();
    /// assert_eq!(failed, ["x", "z"]);
    /// # });
    /// ```
    pub fn failure(mut self, policy: FailurePolicy) -> Self {
        self.failure = Some(policy);
        self
    }

    /// When the run stops early (cancelled, timed out, failed fast, deadlocked), running
    /// nodes get this long to notice [`Context::cancelled`](crate::Context::cancelled)
    /// and finish before their futures are dropped. Without it they get one poll.
    ///
    /// The nodes of its sub-workflows and fan-out items (`front.html`, `thumbs[3].img`)
    /// get the same grace, ending at the same instant, when the run stops. (A fan-out
    /// that stops its own items, because one failed fast, gives them one poll.) A node
    /// whose cleanup must finish in any case keeps it in a `Drop` guard, which runs
    /// either way.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU32, Ordering};
    /// use std::time::Duration;
    /// use workflow_core::prelude::*;
    ///
    /// #[node]
    /// async fn upload(part: u64, ctx: &Context, flushed: Res<AtomicU32>) -> u64 {
    ///     tokio::select! {
    ///         _ = tokio::time::sleep(Duration::from_secs(1)) => {}
    ///         _ = ctx.cancelled() => {
    ///             // Flushing takes 10 ms a part.
    ///             tokio::time::sleep(Duration::from_millis(10 * part)).await;
    ///             flushed.fetch_add(1, Ordering::SeqCst);
    ///         }
    ///     }
    ///     part
    /// }
    ///
    /// workflow! {
    ///     struct Upload {
    ///         input parts: Vec<u64>,
    ///         done = for p in parts { u = upload(part: p), } => u,
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(async {
    /// let rt = Runtime::builder().resource(AtomicU32::new(0)).build();
    /// let opts = RunOptions::new()
    ///     .timeout(Duration::from_millis(50))
    ///     .cancel_grace(Duration::from_millis(25));
    /// let err = rt.execute_with(Upload, UploadInput { parts: vec![1, 2, 3] }, opts).await.unwrap_err();
    /// assert!(err.is_timeout());
    /// // Parts 1 and 2 flushed within the grace; part 3 (30 ms) was dropped.
    /// assert_eq!(rt.resource::<AtomicU32>().unwrap().load(Ordering::SeqCst), 2);
    /// # });
    /// ```
    pub fn cancel_grace(mut self, grace: impl RunDuration) -> Self {
        self.cancel_grace = Some(grace.into_duration());
        self
    }

    /// Cancels the run when `token` is cancelled; nodes see it through
    /// [`Context::cancellation`](crate::Context::cancellation).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use workflow_core::prelude::*;
    ///
    /// #[node]
    /// async fn long() -> u32 {
    ///     tokio::time::sleep(Duration::from_secs(60)).await;
    ///     1
    /// }
    ///
    /// workflow! {
    ///     struct Long {
    ///         l = long(),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(async {
    /// let token = CancellationToken::new();
    /// let stop = token.clone();
    /// tokio::spawn(async move {
    ///     tokio::time::sleep(Duration::from_secs(1)).await;
    ///     stop.cancel();
    /// });
    /// let opts = RunOptions::new().cancel_token(token);
    /// let err = Runtime::new().execute_with(Long, LongInput {}, opts).await.unwrap_err();
    /// assert!(matches!(err, WorkflowError::Cancelled { .. }), "{err}");
    /// # });
    /// ```
    pub fn cancel_token(mut self, token: CancellationToken) -> Self {
        self.cancel = Some(token);
        self
    }
}
