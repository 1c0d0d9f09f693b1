//! How a workflow's policies become Temporal options (the table in the crate docs), as
//! plain values that tests and users can inspect before anything talks to a server.

use std::time::Duration;

use temporalio_common::RetryPolicy as TemporalRetryPolicy;
use temporalio_sdk::{ActivityCloseTimeouts, ActivityOptions};
use workflow_core::policy::RetryPolicy;
use workflow_core::remote::NodeByNode;

/// The settings of a run on Temporal that the workflow itself does not give.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TemporalSettings {
    /// The Temporal namespace (default `"default"`).
    pub namespace: String,
    /// The task queue's base name (default `"workflow"`): the queue a workflow's runs and
    /// activities use is this name, the workflow's name and its graph fingerprint (see
    /// [`task_queue`]).
    pub task_queue: String,
    /// Start-to-close timeout of a node without a `timeout` (Temporal requires one;
    /// default 10 minutes). Zero counts as 1 ms, Temporal's shortest: such nodes time out
    /// at once.
    pub default_node_timeout: Duration,
    /// How often a running node's activity heartbeats (default 1 s); Temporal's heartbeat
    /// timeout is three times this, so a node on a worker that died is retried on another
    /// worker within about that time instead of after its start-to-close timeout. Zero:
    /// no heartbeats and no heartbeat timeout.
    pub heartbeat: Duration,
    /// The largest encoded value (workflow input, node input or output) sent to Temporal
    /// (default 2 MB, Temporal's own limit): a larger one fails the run with our error,
    /// naming the value, instead of a server error later.
    pub max_payload_bytes: usize,
    /// Most nodes one worker runs at once (its activity slots; default 100, the SDK's).
    pub max_concurrent_nodes: usize,
    /// Most node activities one run has scheduled and not finished at once (default
    /// 1000; Temporal fails a workflow task that schedules more than its pending-activity
    /// limit, 2000 by default): a wider graph runs in windows of this many, as if its
    /// `concurrency` were this. Recorded in the run's input, so a replay schedules the
    /// same.
    pub max_pending_nodes: usize,
    /// History events after which a run continues as a new run of the same workflow id
    /// (default 10,000, where Temporal starts warning; its hard limit is 50,000 events
    /// or 50 MB). A node costs about six events, so a graph below ~1,600 nodes never
    /// gets there; a longer one stops scheduling, lets its running nodes finish, and
    /// continues with the values still needed in the new run's input.
    pub continue_as_new_after_events: u32,
}

impl Default for TemporalSettings {
    fn default() -> Self {
        Self {
            namespace: "default".into(),
            task_queue: "workflow".into(),
            default_node_timeout: Duration::from_secs(600),
            heartbeat: Duration::from_secs(1),
            max_payload_bytes: 2 * 1024 * 1024,
            max_concurrent_nodes: 100,
            max_pending_nodes: 1000,
            continue_as_new_after_events: 10_000,
        }
    }
}

impl TemporalSettings {
    /// Settings with this task queue base name and the defaults otherwise.
    pub fn new(task_queue: impl Into<String>) -> Self {
        Self {
            task_queue: task_queue.into(),
            ..Self::default()
        }
    }

    /// Replaces the namespace.
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// Replaces the start-to-close timeout of nodes without a `timeout`.
    pub fn default_node_timeout(mut self, timeout: Duration) -> Self {
        self.default_node_timeout = timeout;
        self
    }

    /// Replaces the heartbeat interval of running nodes.
    ///
    /// `Duration::ZERO` turns heartbeats off: no heartbeat timeout either, so a node on a
    /// worker that died is retried only after its start-to-close timeout, and its
    /// `ctx.emit` messages are not sent while it runs. A very long interval gives the
    /// longest heartbeat timeout (three times it, saturating).
    pub fn heartbeat(mut self, every: Duration) -> Self {
        self.heartbeat = every;
        self
    }

    /// Replaces the most node activities one run has pending at once (at least 1).
    pub fn max_pending_nodes(mut self, nodes: usize) -> Self {
        self.max_pending_nodes = nodes.max(1);
        self
    }

    /// Replaces the history length after which a run continues as a new run. Each run of
    /// the chain schedules the nodes that are ready before it continues, so a small
    /// number (even 0) still makes progress: a node or a window of them per run.
    pub fn continue_as_new_after_events(mut self, events: u32) -> Self {
        self.continue_as_new_after_events = events;
        self
    }

    /// Replaces the number of nodes one worker runs at once (at least 1).
    pub fn max_concurrent_nodes(mut self, nodes: usize) -> Self {
        self.max_concurrent_nodes = nodes.max(1);
        self
    }

    /// Replaces the payload limit.
    pub fn max_payload_bytes(mut self, bytes: usize) -> Self {
        self.max_payload_bytes = bytes;
        self
    }
}

/// The shortest start-to-close timeout mapped: a zero
/// [`TemporalSettings::default_node_timeout`] becomes this.
const SHORTEST_LIMIT: Duration = Duration::from_millis(1);

/// A node's Temporal activity options, as plain values.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct NodeMapping {
    /// The activity type: `Workflow.binding` (`Etl.page`).
    pub activity_type: String,
    /// Limit on one attempt: the node's `timeout`, or
    /// [`TemporalSettings::default_node_timeout`] (at least 1 ms: Temporal refuses zero).
    pub start_to_close: Duration,
    /// Limit on all attempts together: the retry policy's `total_timeout`.
    pub schedule_to_close: Option<Duration>,
    /// Three heartbeat intervals.
    pub heartbeat_timeout: Duration,
    /// Temporal's retry policy.
    pub retry: RetryMapping,
}

/// A node's retry policy in Temporal's terms.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RetryMapping {
    /// The first delay: `backoff` (at least 1 ms: Temporal reads 0 as its default, 1 s).
    pub initial_interval: Duration,
    /// `multiplier` (at least 1).
    pub backoff_coefficient: f64,
    /// `max_backoff`; without one, the longest delay the policy reaches (Temporal's own
    /// default would cap delays at 100 times the first).
    pub maximum_interval: Duration,
    /// `max` attempts, the first included; 1 without a retry policy (Temporal's default
    /// would retry forever).
    pub maximum_attempts: u32,
}

impl RetryMapping {
    /// The mapping of `retry` (`None`: one attempt).
    pub fn from_policy(retry: Option<&RetryPolicy>) -> Self {
        let Some(r) = retry else {
            return Self {
                initial_interval: Duration::from_millis(1),
                backoff_coefficient: 1.0,
                maximum_interval: Duration::from_millis(1),
                maximum_attempts: 1,
            };
        };
        let initial_interval = r.backoff.max(Duration::from_millis(1));
        // As `RetryPolicy::delay` reads it: below 1 (or NaN) counts as 1.
        let multiplier = if r.multiplier >= 1.0 {
            r.multiplier
        } else {
            1.0
        };
        let maximum_interval = r.max_backoff.unwrap_or_else(|| {
            // The delay before the last attempt: backoff * multiplier^(max - 2).
            let steps = i32::try_from(r.max_attempts.saturating_sub(2)).unwrap_or(i32::MAX);
            let nanos = initial_interval.as_nanos() as f64 * multiplier.powi(steps);
            // `as` saturates at u64::MAX nanoseconds (and maps NaN to 0).
            Duration::from_nanos(nanos.round() as u64)
        });
        Self {
            initial_interval,
            backoff_coefficient: multiplier,
            maximum_interval: maximum_interval.max(initial_interval),
            maximum_attempts: r.max_attempts.max(1),
        }
    }

    fn to_temporal(&self) -> TemporalRetryPolicy {
        TemporalRetryPolicy::builder()
            .initial_interval(self.initial_interval)
            .backoff_coefficient(self.backoff_coefficient)
            .maximum_interval(self.maximum_interval)
            .maximum_attempts(self.maximum_attempts)
            .build()
    }
}

impl NodeMapping {
    /// The mapping of node `node` (plan index) of `W` under `settings`.
    ///
    /// # Panics
    ///
    /// When `node` is not a node of `W`.
    pub fn of<W: NodeByNode>(node: usize, settings: &TemporalSettings) -> Self {
        let spec = &W::PLAN.nodes[node];
        let policy = &spec.policy;
        Self {
            activity_type: node_activity_type::<W>(node),
            // Temporal refuses a zero limit (the workflow task scheduling the activity
            // fails, again and again: the run never ends); a zero default is the shortest,
            // as a zero limit in-process times out at once. (`#[node]` refuses a zero
            // `timeout` or `total_timeout` itself.)
            start_to_close: policy
                .timeout
                .unwrap_or(settings.default_node_timeout)
                .max(SHORTEST_LIMIT),
            schedule_to_close: policy.retry.as_ref().and_then(|r| r.total_timeout),
            // Saturating: a heartbeat of `Duration::MAX` ("as seldom as possible") is the
            // longest timeout, not an overflow.
            heartbeat_timeout: settings.heartbeat.saturating_mul(3),
            retry: RetryMapping::from_policy(policy.retry.as_ref()),
        }
    }

    /// The options to schedule the activity with.
    pub(crate) fn activity_options(&self) -> ActivityOptions {
        let timeouts = match self.schedule_to_close {
            Some(total) => ActivityCloseTimeouts::ScheduleAndStartToClose {
                schedule_to_close: total,
                start_to_close: self.start_to_close,
            },
            None => ActivityCloseTimeouts::StartToClose(self.start_to_close),
        };
        ActivityOptions::with_close_timeouts(timeouts)
            .heartbeat_timeout(self.heartbeat_timeout)
            .retry_policy(self.retry.to_temporal())
            .build()
    }
}

/// The activity type of node `binding` of workflow `workflow`: `Workflow.binding`.
pub fn activity_type(workflow: &str, binding: &str) -> String {
    format!("{workflow}.{binding}")
}

/// The activity type of node `node` of `W`: [`activity_type`], and for a later
/// definition of a binding defined in several arms (a merge: one name, one node per
/// arm), `Workflow.binding@index`, so that every node has an activity of its own.
pub(crate) fn node_activity_type<W: NodeByNode>(node: usize) -> String {
    let nodes = W::PLAN.nodes;
    let name = nodes[node].name;
    if nodes[..node].iter().any(|n| n.name == name) {
        format!("{}@{node}", activity_type(W::NAME, name))
    } else {
        activity_type(W::NAME, name)
    }
}

/// The task queue of `W`'s runs and activities: `{base}.{Workflow}.{fingerprint hash}`.
///
/// A changed graph has another fingerprint, so its worker polls another queue: runs
/// started against the old graph stay with workers of the old build and are never
/// replayed by code that would schedule different activities.
pub fn task_queue<W: NodeByNode>(settings: &TemporalSettings) -> String {
    format!("{}.{}.{}", settings.task_queue, W::NAME, build_id::<W>())
}

/// The worker's build id: a hash of the graph's fingerprint (16 hex digits).
pub fn build_id<W: NodeByNode>() -> String {
    format!("{:016x}", fnv1a(W::FINGERPRINT.as_bytes()))
}

/// FNV-1a, 64 bits: stable across Rust releases and platforms, unlike `DefaultHasher`.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_retry_policy_is_one_attempt_not_temporals_unlimited_default() {
        let m = RetryMapping::from_policy(None);
        assert_eq!(m.maximum_attempts, 1);
    }

    #[test]
    fn backoff_multiplier_and_cap_map_one_to_one() {
        let p = RetryPolicy::new(5)
            .backoff(Duration::from_millis(100))
            .multiplier(3.0)
            .max_backoff(Duration::from_secs(2));
        let m = RetryMapping::from_policy(Some(&p));
        assert_eq!(m.initial_interval, Duration::from_millis(100));
        assert_eq!(m.backoff_coefficient, 3.0);
        assert_eq!(m.maximum_interval, Duration::from_secs(2));
        assert_eq!(m.maximum_attempts, 5);
    }

    #[test]
    fn without_a_cap_the_longest_delay_is_the_last_one_the_policy_reaches() {
        // 4 attempts, backoff 10 ms doubling: delays 10, 20, 40 ms.
        let p = RetryPolicy::new(4).backoff(Duration::from_millis(10));
        let m = RetryMapping::from_policy(Some(&p));
        assert_eq!(m.maximum_interval, Duration::from_millis(40));
        assert_eq!(m.backoff_coefficient, 2.0);
    }

    #[test]
    fn a_zero_backoff_is_one_millisecond_not_temporals_one_second_default() {
        let m = RetryMapping::from_policy(Some(&RetryPolicy::new(3)));
        assert_eq!(m.initial_interval, Duration::from_millis(1));
        assert_eq!(m.maximum_attempts, 3);
    }

    #[test]
    fn the_fingerprint_hash_is_stable() {
        // Pinned: a change here would move every deployed workflow to a new task queue.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
