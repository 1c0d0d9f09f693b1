//! Run `workflow!` graphs on [Temporal](https://temporal.io) without changing them: every
//! node becomes a Temporal activity, the graph becomes a Temporal workflow generated from
//! its static plan, and a client call returns the workflow's own typed output or the same
//! [`WorkflowError`](workflow_core::WorkflowError) kinds as the in-process runtime.
//!
//! Any `#[workflow(durable)]` workflow runs on Temporal: durability already makes every
//! input and node output `Serialize + Deserialize`, which is what crossing the wire needs.
//!
//! ```no_run
//! use workflow_core::prelude::*;
//! use workflow_temporal::{TemporalClient, TemporalSettings, TemporalWorker};
//!
//! #[node(retry(max = 3, backoff = "100ms"))]
//! async fn double(x: u64) -> Result<u64, std::io::Error> {
//!     Ok(x * 2)
//! }
//!
//! workflow! {
//!     #[workflow(durable)]
//!     pub struct Doubler { input x: u64, y = double(x) }
//! }
//!
//! # async fn demo() -> Result<(), workflow_temporal::Error> {
//! let client = TemporalClient::connect("http://127.0.0.1:7233", TemporalSettings::default()).await?;
//! // A worker (in a worker process: `TemporalWorker::new(..)?.run().await`):
//! let _worker = TemporalWorker::spawn::<Doubler>(&client, Runtime::new())?;
//! // Anywhere:
//! let run = client.execute::<Doubler>(&DoublerInput { x: 21 }, "doubler-1").await?;
//! assert_eq!(run.outputs.y, 42);
//! # Ok(()) }
//! ```
//!
//! # Policies on Temporal
//!
//! | workflow policy | on Temporal |
//! |---|---|
//! | `retry(max)` | activity retry `maximum_attempts = max`; no `retry`: 1 attempt (not Temporal's unlimited default) |
//! | `retry(backoff)` | `initial_interval` (0 becomes 1 ms: Temporal reads 0 as 1 s) |
//! | `retry(multiplier)` | `backoff_coefficient` |
//! | `retry(max_backoff)` | `maximum_interval`; none: the longest delay the policy reaches |
//! | `retry(jitter)` | ignored: Temporal's server schedules retries without jitter, and its retry policy has no field for it |
//! | `retry(retry_if)` | evaluated on the worker against the node's error; `false` marks the failure non-retryable (a fn pointer cannot cross the wire, so no `non_retryable_error_types` list is needed) |
//! | `retry(total_timeout)` | `schedule_to_close_timeout` |
//! | a timed-out attempt with `retry_timeouts = false` | the worker's own timeout marks it non-retryable; a server-side start-to-close timeout is always retried |
//! | node `timeout` | `start_to_close_timeout` (also enforced on the worker); none: [`TemporalSettings::default_node_timeout`] |
//! | a panicking node | not retried, `WorkflowError::NodePanicked` |
//! | workflow `timeout` | workflow `execution_timeout`; `WorkflowError::Timeout { scope: Workflow }` |
//! | workflow `concurrency` / `sequential` | at most that many node activities scheduled at once |
//! | `failure = "continue"` | independent nodes finish; `WorkflowError::Multiple` |
//! | workflow `deadlock` | ignored: tracked waits do not cross activities; node timeouts and the heartbeat timeout bound a stuck node instead |
//! | `#[ephemeral]` binding | refused: [`TemporalWorker::new`] and [`TemporalClient::start`] return [`Error::Unsupported`] naming it (its output is never encoded, so it cannot reach another node's activity) |
//! | `ctx.idempotency_key()` | `<Workflow>/<workflow id>/<node path>` (`Book/order-17/pages[1].html`): the same on every attempt, worker and continued run |
//! | `Res<T>` | the resources of the `Runtime` given to [`TemporalWorker::new`] |
//! | runtime `max_concurrent_nodes` | [`TemporalSettings::max_concurrent_nodes`]: the worker's activity slots |
//! | `ctx.attempt()` | Temporal's activity attempt |
//! | `ctx.emit` | the node's heartbeat details (its last 20 messages, sent every [`TemporalSettings::heartbeat`]; read them with [`TemporalRunHandle::progress`]), and a `tracing` event on the worker |
//! | graph fingerprint | the worker's build id and part of the task queue name ([`task_queue`]): a changed graph polls another queue, so old runs are only ever replayed by workers of the old graph |
//! | (none) | the activity heartbeats every [`TemporalSettings::heartbeat`]; heartbeat timeout 3× that, so a dead worker's node moves to another worker quickly (zero: no heartbeats, no heartbeat timeout) |
//! | `match` / `if` in the graph | the router is an activity (`Workflow.match_t`) returning the arm taken, recorded in the history; the other arms' nodes never run; a node reading a pattern binding gets the router's recorded arm and value and evaluates the router again on its worker, held to that arm |
//! | a binding defined in several arms (a merge) | one activity type per definition (`Workflow.receipt`, `Workflow.receipt@3`), one value after the decision |
//! | `for x in xs { .. } => t` fan-out | one activity per item (`thumbs[3]`, sent that item only), at most the fan-out's `#[concurrency = N]` (and the workflow's `concurrency`) at once and within the pending window; the item's body runs on the worker that took it; outputs joined in item order; a failed item fails the run fast with its kind and path (`thumbs[3].img`); a lost worker re-runs only its unfinished items. The fan-out's `timeout` and `retry` apply to each item. A list that is not a JSON array where the fan-out reads it (a map) stays one activity |
//! | sub-workflow `front = Render(page)`, `pages = map(Render, titles)` | one activity whose child runs run on the worker (`pages[1].html` in errors; a lost worker runs them all again); the sub-workflow must be `#[workflow(durable)]` too, which makes its `RenderOutput` serde |
//! | a value over 2 MB | [`Error::PayloadTooLarge`] naming the node and whether its input or output ([`TemporalSettings::max_payload_bytes`]): the run's input before starting, a node's input before scheduling it, its output on the worker, the gathered output at the end |
//! | more than 1,000 nodes ready at once | scheduled in windows of [`TemporalSettings::max_pending_nodes`] (Temporal's pending-activity limit is 2,000) |
//! | a history over 10,000 events (~1,600 nodes) | the run continues as new with the plan's state and the values still needed ([`TemporalSettings::continue_as_new_after_events`]); [`TemporalRunHandle::result`] and [`TemporalRunHandle::attempts`] follow the chain |

mod activity;
mod client;
mod error;
mod fanout;
mod graph;
mod policy;
mod wire;
mod worker;

pub use client::{ActivityAttempt, NodeProgress, TemporalClient, TemporalRun, TemporalRunHandle};
pub use error::{Error, RemoteError};
pub use policy::{
    activity_type, build_id, task_queue, NodeMapping, RetryMapping, TemporalSettings,
};
pub use worker::{TemporalWorker, WorkerThread};
