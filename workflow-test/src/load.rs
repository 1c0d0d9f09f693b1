//! Load tests: N runs at concurrency C → throughput, latency percentiles, failures.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;
use workflow_core::{RunOptions, Workflow};

use crate::harness::Harness;

/// At most this many distinct failure messages are kept.
const MAX_ERRORS: usize = 10;

/// A failed run of a load test: the node to blame, if one is, and the error's text.
struct Failure {
    node: Option<String>,
    message: String,
}

/// How [`Harness::load`] makes each run's input: a closure given the run's number
/// (0, 1, 2, ..) and returning that run's input. Every `FnMut(usize) -> I` is one.
///
/// # Examples
///
/// ```
/// use workflow_test::InputFn;
///
/// fn inputs<F: InputFn<u32>>(mut f: F) -> Vec<u32> {
///     (0..3).map(|i| f.make(i)).collect()
/// }
/// assert_eq!(inputs(|i| i as u32 * 10), [0, 10, 20]);
/// ```
#[diagnostic::on_unimplemented(
    message = "`load` makes each run's input with a closure, not `{Self}`: write `|i| {I} {{ .. }}`",
    label = "expected a closure `|i| {I} {{ .. }}`",
    note = "run `i` (0, 1, 2, ..) gets what the closure returns for `i`; `|_| input.clone()` runs one input again and again"
)]
pub trait InputFn<I> {
    /// The input of run `i`.
    fn make(&mut self, i: usize) -> I;
}

#[diagnostic::do_not_recommend]
impl<I, F: FnMut(usize) -> I> InputFn<I> for F {
    fn make(&mut self, i: usize) -> I {
        self(i)
    }
}

/// The result of [`Harness::load`].
///
/// Times are on tokio's clock: under a paused clock they are exact virtual times (a run
/// sleeping 10ms takes exactly 10ms), so assertions on them are deterministic. Real
/// elapsed time is in [`LoadReport::wall_time`].
///
/// # Examples
///
/// 20 runs of a 30 ms node, 5 at a time: four waves of 30 ms.
///
/// ```
/// use std::time::Duration;
/// use workflow_test::prelude::*;
///
/// #[node]
/// async fn work(id: u32) -> u32 {
///     tokio::time::sleep(Duration::from_millis(30)).await;
///     id
/// }
///
/// workflow! {
///     struct Job {
///         input id: u32,
///         out = work(id),
///     }
/// }
///
/// #[workflow_test(timeout = "5s", start_paused = true)]
/// async fn load(h: Harness) {
///     let report = h.load(Job, 20, 5, |i| JobInput { id: i as u32 }).await;
///     assert!(report.all_succeeded(), "{report}");
///     assert_eq!(report.elapsed, Duration::from_millis(120)); // first start to last end
///     assert_eq!(report.p50(), Duration::from_millis(30)); // each run's own latency
///     assert_eq!(report.throughput(), 20.0 / 0.120); // runs per second of `elapsed`
/// }
/// # fn main() { load(); }
/// ```
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LoadReport {
    /// Runs executed.
    pub runs: usize,
    /// The concurrency used.
    pub concurrency: usize,
    /// Runs that succeeded.
    pub succeeded: usize,
    /// Runs that failed.
    pub failed: usize,
    /// Distinct failure messages with their counts (the first ten: a message that names
    /// its item, `"order 17 rejected"`, makes each failure distinct; see
    /// [`failures_by_node`](Self::failures_by_node) for every failure counted; `{}` lists
    /// these and counts the other failures in one line).
    pub errors: Vec<(String, usize)>,
    /// Every failed run counted by the node to blame ([`WorkflowError::node`]), in the
    /// order the nodes first failed; `None` for a failure of the run itself (its
    /// timeout, a deadlock, a panicked run task). The counts add up to
    /// [`failed`](Self::failed).
    ///
    /// [`WorkflowError::node`]: workflow_core::WorkflowError::node
    pub failures_by_node: Vec<(Option<String>, usize)>,
    /// Time from the first start to the last end, on tokio's clock.
    pub elapsed: Duration,
    /// The same, on the real clock.
    pub wall_time: Duration,
    /// Every run's latency, sorted.
    pub latencies: Vec<Duration>,
}

impl LoadReport {
    /// Runs per second over [`LoadReport::elapsed`] (infinite when runs took no time, as
    /// instant runs under a paused clock do; 0 for a load of no runs).
    pub fn throughput(&self) -> f64 {
        per_second(self.runs, self.elapsed)
    }

    /// Runs per second over [`LoadReport::wall_time`].
    pub fn wall_throughput(&self) -> f64 {
        per_second(self.runs, self.wall_time)
    }

    /// The latency below which a fraction `q` (0.0..=1.0) of runs finished (nearest rank).
    pub fn percentile(&self, q: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let q = q.clamp(0.0, 1.0);
        let n = self.latencies.len();
        // Nearest rank: the smallest value with at least q*n values at or below it.
        let rank = (q * n as f64).ceil() as usize;
        self.latencies[rank.clamp(1, n) - 1]
    }

    /// Median latency.
    pub fn p50(&self) -> Duration {
        self.percentile(0.50)
    }

    /// 90th percentile latency.
    pub fn p90(&self) -> Duration {
        self.percentile(0.90)
    }

    /// 99th percentile latency.
    pub fn p99(&self) -> Duration {
        self.percentile(0.99)
    }

    /// Fastest run.
    pub fn min(&self) -> Duration {
        self.latencies.first().copied().unwrap_or_default()
    }

    /// Slowest run.
    pub fn max(&self) -> Duration {
        self.latencies.last().copied().unwrap_or_default()
    }

    /// Mean latency (zero for a load of no runs).
    pub fn mean(&self) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        // In u128 nanoseconds: a `Duration` sum overflows (and panics) for latencies
        // near `Duration::MAX`, and the count need not fit a `u32`. The mean of
        // durations is at most the largest of them, so it fits a `Duration` again.
        let total: u128 = self.latencies.iter().map(Duration::as_nanos).sum();
        let mean = total / self.latencies.len() as u128;
        let secs = u64::try_from(mean / 1_000_000_000).unwrap_or(u64::MAX);
        Duration::new(secs, (mean % 1_000_000_000) as u32)
    }

    /// Whether every run succeeded.
    pub fn all_succeeded(&self) -> bool {
        self.failed == 0
    }
}

fn per_second(n: usize, d: Duration) -> f64 {
    if n == 0 {
        // No runs: nothing per second, not 0/0.
        0.0
    } else if d.is_zero() {
        f64::INFINITY
    } else {
        n as f64 / d.as_secs_f64()
    }
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} runs at concurrency {}: {} succeeded, {} failed in {:?} ({:.1} runs/s; wall {:?})",
            self.runs,
            self.concurrency,
            self.succeeded,
            self.failed,
            self.elapsed,
            self.throughput(),
            self.wall_time
        )?;
        writeln!(
            f,
            "latency: min {:?}, p50 {:?}, p90 {:?}, p99 {:?}, max {:?}, mean {:?}",
            self.min(),
            self.p50(),
            self.p90(),
            self.p99(),
            self.max(),
            self.mean()
        )?;
        if !self.failures_by_node.is_empty() {
            write!(f, "failures by node:")?;
            for (i, (node, count)) in self.failures_by_node.iter().enumerate() {
                let sep = if i == 0 { " " } else { ", " };
                match node {
                    Some(node) => write!(f, "{sep}`{node}` {count}")?,
                    None => write!(f, "{sep}the run itself {count}")?,
                }
            }
            writeln!(f)?;
        }
        for (message, count) in &self.errors {
            writeln!(f, "  {count}x {message}")?;
        }
        // Failures beyond the first ten distinct messages are counted, not listed: say so,
        // or a reader adds up the lines above and finds fewer than `failed`.
        let listed: usize = self.errors.iter().map(|(_, n)| n).sum();
        match self.failed.saturating_sub(listed) {
            0 => {}
            1 => writeln!(
                f,
                "  1 more failure, with another message (the first {MAX_ERRORS} distinct \
                 messages are kept)"
            )?,
            n => writeln!(
                f,
                "  {n} more failures, with other messages (the first {MAX_ERRORS} distinct \
                 messages are kept)"
            )?,
        }
        Ok(())
    }
}

impl Harness {
    /// Runs `workflow` `runs` times with at most `concurrency` runs in flight, inputs from
    /// `input(i)`, and reports throughput, latency percentiles and failures.
    ///
    /// A `concurrency` of 0 counts as 1 (one run at a time); `runs` of 0 starts nothing
    /// and gives an empty report (no failures, zero latencies and throughput).
    ///
    /// Runs are spawned as tokio tasks, so a multi-thread runtime spreads them over its
    /// workers. They are counted like any other run ([`Harness::execution_count`]), but
    /// only the last one is kept in full, so a long load test does not fill memory.
    ///
    /// # Examples
    ///
    /// The guide's load test: 100 runs of a 10ms workflow, all at once.
    ///
    /// ```
    /// use std::time::Duration;
    /// use workflow_core::prelude::*;
    /// use workflow_test::Harness;
    ///
    /// #[node]
    /// async fn process_item(item_id: usize) -> usize {
    ///     tokio::time::sleep(Duration::from_millis(10)).await;
    ///     item_id
    /// }
    ///
    /// workflow! {
    ///     struct LoadTest {
    ///         input item_id: usize,
    ///         processed = process_item(item_id),
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(async {
    /// let h = Harness::new();
    /// let report = h.load(LoadTest, 100, 100, |i| LoadTestInput { item_id: i }).await;
    /// assert!(report.all_succeeded(), "{report}");
    /// assert_eq!(report.elapsed, Duration::from_millis(10)); // paused clock: exact
    /// assert!(report.throughput() > 50.0);
    /// assert_eq!(report.p99(), Duration::from_millis(10));
    /// assert_eq!(h.execution_count("processed"), 100);
    /// # });
    /// ```
    ///
    /// `load` is a plain fn returning a boxed future rather than an `async fn`, so that an
    /// `input` that is not a closure is one error, at that argument (an `async fn`
    /// repeats its bounds at the call and at its `.await`).
    pub fn load<'a, W, F>(
        &'a self,
        workflow: W,
        runs: usize,
        concurrency: usize,
        input: F,
    ) -> Pin<Box<dyn Future<Output = LoadReport> + Send + 'a>>
    where
        W: Workflow + Clone,
        F: InputFn<W::Input> + Send + 'a,
    {
        let mut input = input;
        Box::pin(async move {
            self.load_with(workflow, runs, concurrency, &mut input)
                .await
        })
    }

    async fn load_with<W, F>(
        &self,
        workflow: W,
        runs: usize,
        concurrency: usize,
        input: &mut F,
    ) -> LoadReport
    where
        W: Workflow + Clone,
        F: InputFn<W::Input>,
    {
        let concurrency = concurrency.max(1);
        let wall = std::time::Instant::now();
        let start = tokio::time::Instant::now();
        let mut set: JoinSet<(Duration, Result<(), Failure>)> = JoinSet::new();
        // Grown as runs end beyond a first few thousand: `runs` may be far more than
        // could be reserved at once (`usize::MAX` panics, a huge count aborts).
        let mut latencies = Vec::with_capacity(runs.min(4096));
        let mut errors: Vec<(String, usize)> = Vec::new();
        let mut failures_by_node: Vec<(Option<String>, usize)> = Vec::new();
        let mut failed = 0;
        let workflow = Arc::new(workflow);
        let mut next = 0;
        let mut record = |(latency, result): (Duration, Result<(), Failure>)| {
            latencies.push(latency);
            if let Err(Failure { node, message }) = result {
                failed += 1;
                if let Some((_, n)) = failures_by_node.iter_mut().find(|(k, _)| *k == node) {
                    *n += 1;
                } else {
                    failures_by_node.push((node, 1));
                }
                if let Some((_, n)) = errors.iter_mut().find(|(m, _)| *m == message) {
                    *n += 1;
                } else if errors.len() < MAX_ERRORS {
                    errors.push((message, 1));
                }
            }
        };
        loop {
            while next < runs && set.len() < concurrency {
                let run = self.run_recorded(
                    W::clone(&workflow),
                    input.make(next),
                    RunOptions::new(),
                    false,
                );
                next += 1;
                set.spawn(async move {
                    let t = tokio::time::Instant::now();
                    let result = run.await.map(drop).map_err(|e| Failure {
                        node: e.node().map(str::to_owned),
                        message: format!("{e:#}"),
                    });
                    (t.elapsed(), result)
                });
            }
            match set.join_next().await {
                Some(Ok(outcome)) => record(outcome),
                Some(Err(e)) => record((
                    Duration::ZERO,
                    Err(Failure {
                        node: None,
                        message: format!("run task failed: {e}"),
                    }),
                )),
                None => break,
            }
        }
        let elapsed = start.elapsed();
        let wall_time = wall.elapsed();
        latencies.sort_unstable();
        LoadReport {
            runs,
            concurrency,
            succeeded: runs - failed,
            failed,
            errors,
            failures_by_node,
            elapsed,
            wall_time,
            latencies,
        }
    }
}
