//! Policies around nodes and runs: timeouts, retries, concurrency, failure handling.
//!
//! Policies are written as macro options: `#[node(timeout = "1s", retry(max = 3))]`, a
//! binding's `#[timeout = ..]` or `#[retry(..)]` in `workflow!`, and
//! `#[workflow(timeout = "2s", concurrency = 4, failure = "continue")]`; a single run can
//! override the workflow's with [`RunOptions`](crate::RunOptions). The macros compile
//! them to constants (a run reads them without any parsing) of types that are not public
//! API. The one policy type you name is [`FailurePolicy`], for
//! [`RunOptions::failure`](crate::RunOptions::failure).
//!
//! # Retries
//!
//! `retry(max = n)` allows `n` attempts in all, the first one included. Failed attempt
//! `k` (counting from 1) is followed by a delay of `backoff * multiplier^(k-1)` (the
//! multiplier is 2 unless set, and may be fractional like 1.5; 1 gives a constant delay), capped at `max_backoff`. With
//! `jitter`, each delay is drawn from `[delay / 2, delay]`, deterministically from the
//! runtime's jitter seed, the run's id, the node (by its path in a fan-out's item or a
//! sub-workflow, so items failing together do not retry in step) and the attempt. The
//! seed is random per
//! [`Runtime`](crate::Runtime) unless
//! [`RuntimeBuilder::jitter_seed`](crate::RuntimeBuilder::jitter_seed) fixes it: run ids
//! start again at 1 in every process, and the first runs of processes restarted together
//! would otherwise retry in step. With a fixed seed a run is known by its number among its
//! runtime's runs instead of its process-wide id, so the same seed draws the same delays
//! in every process and test: a paused-clock test that asserts exact times leaves
//! `jitter` off, asserts the range, or fixes the seed. Only errors
//! for which `retry_if` returns `true` are retried; timed-out attempts are retried
//! unless `retry_timeouts = false`; `total_timeout` limits all attempts and delays of one
//! node together. `retry_if = f` takes an `f: fn(&E) -> bool` for the node's error type
//! `E`, which must be a `std::error::Error` type: a node returning `anyhow::Result`,
//! `Result<_, String>` or `Result<_, BoxError>` returns a typed error instead to use it.

use std::time::Duration;

use crate::error::BoxError;

/// Decides whether an error is worth another attempt (the macro wraps the user's
/// `fn(&E) -> bool` in one that downcasts).
#[doc(hidden)]
pub type RetryPredicate = fn(&(dyn std::error::Error + Send + Sync + 'static)) -> bool;

/// Retries with exponential backoff.
///
/// Attempt `n` (counting from 1) that fails is followed by a delay of
/// `backoff * multiplier^(n-1)`, capped at `max_backoff`; with jitter, the delay is drawn
/// from `[delay / 2, delay]`, deterministically from `seed` (the runtime's jitter seed,
/// the run's id and the node) and the attempt.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use workflow_core::policy::RetryPolicy;
///
/// let p = RetryPolicy::new(4).backoff(Duration::from_millis(100)).max_backoff(Duration::from_millis(300));
/// assert_eq!(p.delay(1, 0), Duration::from_millis(100));
/// assert_eq!(p.delay(2, 0), Duration::from_millis(200));
/// assert_eq!(p.delay(3, 0), Duration::from_millis(300)); // capped
/// ```
#[derive(Debug, Clone, Copy)]
#[doc(hidden)]
pub struct RetryPolicy {
    /// Total attempts, the first one included (at least 1).
    pub max_attempts: u32,
    /// Delay after the first failed attempt.
    pub backoff: Duration,
    /// Growth factor of the delay per attempt (at least 1).
    pub multiplier: f64,
    /// Upper bound of a single delay.
    pub max_backoff: Option<Duration>,
    /// Draw each delay from `[delay / 2, delay]`.
    pub jitter: bool,
    /// Retry only errors for which this returns `true` (all errors when `None`).
    pub retry_if: Option<RetryPredicate>,
    /// Whether a timed-out attempt is retried (default `true`).
    pub retry_timeouts: bool,
    /// Limit on all attempts and delays together.
    pub total_timeout: Option<Duration>,
}

impl RetryPolicy {
    /// `max_attempts` attempts in all, no delay between them.
    pub const fn new(max_attempts: u32) -> Self {
        Self {
            max_attempts: if max_attempts == 0 { 1 } else { max_attempts },
            backoff: Duration::ZERO,
            multiplier: 2.0,
            max_backoff: None,
            jitter: false,
            retry_if: None,
            retry_timeouts: true,
            total_timeout: None,
        }
    }

    /// Delay after the first failure; later delays grow by [`RetryPolicy::multiplier`].
    /// Zero (the default) retries at once: the node's future yields to the runtime
    /// first, then makes its next attempt, so every attempt is made in no time.
    pub const fn backoff(mut self, backoff: Duration) -> Self {
        self.backoff = backoff;
        self
    }

    /// Growth factor of the delay (2 by default; 1 gives a constant delay, 1.5 grows it by
    /// half each time). Values below 1 (and NaN) count as 1.
    pub const fn multiplier(mut self, multiplier: f64) -> Self {
        self.multiplier = multiplier;
        self
    }

    /// Caps every single delay.
    pub const fn max_backoff(mut self, cap: Duration) -> Self {
        self.max_backoff = Some(cap);
        self
    }

    /// Randomises each delay within `[delay / 2, delay]`.
    pub const fn jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// Retries only the errors for which `predicate` returns `true`.
    pub const fn retry_if(mut self, predicate: RetryPredicate) -> Self {
        self.retry_if = Some(predicate);
        self
    }

    /// Whether timed-out attempts are retried.
    pub const fn retry_timeouts(mut self, retry: bool) -> Self {
        self.retry_timeouts = retry;
        self
    }

    /// Limits all attempts and delays of one node together. Its end fails the node with
    /// [`WorkflowError::Timeout`](crate::WorkflowError::Timeout) naming it, with
    /// `all_attempts` set and the attempts made. Zero is allowed here and leaves the
    /// first attempt its first poll (tokio's timeout polls before it looks at the
    /// clock): a node that ends there succeeds, one that awaits anything or fails times
    /// out at once after one attempt. In `#[node(retry(total_timeout = "0s"))]` (or a
    /// binding's `#[retry(..)]`) zero is a compile error, like a zero `timeout`.
    pub const fn total_timeout(mut self, limit: Duration) -> Self {
        self.total_timeout = Some(limit);
        self
    }

    /// The delay after failed attempt `attempt` (1-based). `seed` feeds the jitter.
    pub fn delay(&self, attempt: u32, seed: u64) -> Duration {
        // In f64, rounded to whole nanoseconds: exact for the usual factors (2, 1.5, 3)
        // and backoffs, so paused-clock tests see round numbers. `as` saturates.
        let multiplier = if self.multiplier >= 1.0 {
            self.multiplier
        } else {
            1.0
        };
        let exponent = i32::try_from(attempt.saturating_sub(1)).unwrap_or(i32::MAX);
        let nanos = self.backoff.as_nanos() as f64 * multiplier.powi(exponent);
        let mut delay = Duration::from_nanos(nanos.round() as u64);
        if let Some(cap) = self.max_backoff {
            delay = delay.min(cap);
        }
        if self.jitter && !delay.is_zero() {
            let half = delay / 2;
            let span = u64::try_from((delay - half).as_nanos()).unwrap_or(u64::MAX);
            let r = splitmix64(seed ^ u64::from(attempt).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            delay = half + Duration::from_nanos(if span == 0 { 0 } else { r % (span + 1) });
        }
        delay
    }

    /// Whether `error` may be retried under this policy.
    pub fn should_retry(&self, error: &BoxError) -> bool {
        self.retry_if.is_none_or(|p| p(error.as_ref()))
    }
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// How a node is executed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
#[doc(hidden)]
pub enum Execution {
    /// Polled inside the run's own task (default: no spawn cost).
    #[default]
    InTask,
    /// Spawned as its own tokio task (for CPU-heavy nodes on a multi-thread runtime).
    Spawn,
}

/// The policy of one node: `#[node(..)]` defaults, overridden per binding in `workflow!`.
#[derive(Debug, Clone, Copy, Default)]
#[doc(hidden)]
pub struct NodePolicy {
    /// Limit on one attempt.
    pub timeout: Option<Duration>,
    /// Retries, if any.
    pub retry: Option<RetryPolicy>,
    /// In-task or spawned.
    pub execution: Execution,
}

impl NodePolicy {
    /// No timeout, no retries, polled in the run's task.
    pub const DEFAULT: Self = Self {
        timeout: None,
        retry: None,
        execution: Execution::InTask,
    };

    /// Replaces the per-attempt timeout.
    pub const fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Replaces the retry policy.
    pub const fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }

    /// Replaces the execution mode.
    pub const fn with_execution(mut self, execution: Execution) -> Self {
        self.execution = execution;
        self
    }

    /// Whether this policy's per-attempt `timeout` is set and at least `limit`: a
    /// binding's `retry(total_timeout = limit)` on a node with this policy would end
    /// before that timeout could fire (`workflow!` checks it at compile time).
    pub const fn timeout_at_least(&self, limit: Duration) -> bool {
        match self.timeout {
            Some(t) => t.as_nanos() >= limit.as_nanos(),
            None => false,
        }
    }

    /// Whether this policy's `retry(total_timeout)` is set and at most `timeout`: a
    /// binding's per-attempt `timeout` on a node with this policy could never fire
    /// (`workflow!` checks it at compile time).
    pub const fn total_timeout_at_most(&self, timeout: Duration) -> bool {
        match self.retry {
            Some(RetryPolicy {
                total_timeout: Some(total),
                ..
            }) => total.as_nanos() <= timeout.as_nanos(),
            _ => false,
        }
    }

    /// Total attempts allowed (1 without retries).
    pub fn max_attempts(&self) -> u32 {
        self.retry.map_or(1, |r| r.max_attempts.max(1))
    }
}

/// What a run does when a node fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum FailurePolicy {
    /// Stop at the first failure: cancel running nodes, start nothing new (default).
    #[default]
    FailFast,
    /// Let independent branches finish; skip what depends on a failure; report every
    /// failure together.
    ///
    /// The items of one fan-out are not independent branches: the first failing item
    /// still stops its fan-out's other items (the fan-out node fails once). To keep
    /// every item's outcome, give the fan-out binding `#[failure = "collect"]`
    /// (`Vec<Result<T, WorkflowError>>`).
    Continue,
}

/// Policies of a whole run, from `#[workflow(..)]`, adjustable per run with
/// [`RunOptions`](crate::RunOptions).
#[derive(Debug, Clone, Copy, Default)]
#[doc(hidden)]
pub struct WorkflowPolicy {
    /// Limit on the whole run.
    pub timeout: Option<Duration>,
    /// Stall limit: fail with a deadlock if no node finishes for this long.
    pub deadlock: Option<Duration>,
    /// Most nodes of one run in flight at once (`Some(1)` is sequential); also bounds
    /// the items of each of its fan-outs and the nodes of each sub-workflow (see
    /// [`RunOptions::concurrency`](crate::RunOptions::concurrency)).
    pub concurrency: Option<usize>,
    /// Fail-fast or continue.
    pub failure: FailurePolicy,
}

impl WorkflowPolicy {
    /// No limits, fail-fast.
    pub const DEFAULT: Self = Self {
        timeout: None,
        deadlock: None,
        concurrency: None,
        failure: FailurePolicy::FailFast,
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponential_backoff_doubles_and_caps() {
        let p = RetryPolicy::new(5)
            .backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_millis(350));
        let delays: Vec<_> = (1..=4).map(|a| p.delay(a, 7).as_millis()).collect();
        assert_eq!(delays, [100, 200, 350, 350]);
    }

    #[test]
    fn jitter_stays_in_range_and_is_deterministic() {
        let p = RetryPolicy::new(3)
            .backoff(Duration::from_millis(100))
            .jitter(true);
        for seed in 0..100 {
            let d = p.delay(2, seed);
            assert!(d >= Duration::from_millis(100) && d <= Duration::from_millis(200));
            assert_eq!(d, p.delay(2, seed));
        }
    }

    #[test]
    fn fractional_multiplier_gives_round_delays() {
        let p = RetryPolicy::new(5)
            .backoff(Duration::from_millis(100))
            .multiplier(1.5);
        assert_eq!(p.delay(1, 0), Duration::from_millis(100));
        assert_eq!(p.delay(2, 0), Duration::from_millis(150));
        assert_eq!(p.delay(3, 0), Duration::from_millis(225));
        // Below 1 (or NaN) counts as 1: the delay never shrinks.
        let flat = RetryPolicy::new(3)
            .backoff(Duration::from_millis(10))
            .multiplier(0.5);
        assert_eq!(flat.delay(3, 0), Duration::from_millis(10));
        let nan = RetryPolicy::new(3)
            .backoff(Duration::from_millis(10))
            .multiplier(f64::NAN);
        assert_eq!(nan.delay(3, 0), Duration::from_millis(10));
    }

    #[test]
    fn zero_attempts_means_one() {
        assert_eq!(RetryPolicy::new(0).max_attempts, 1);
    }

    #[test]
    fn huge_backoff_saturates_instead_of_overflowing() {
        let p = RetryPolicy::new(100).backoff(Duration::from_secs(u64::MAX / 2));
        assert!(p.delay(90, 0) > Duration::from_secs(1));
    }
}
