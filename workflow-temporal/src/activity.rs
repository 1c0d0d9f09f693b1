//! Every node is an activity: `NodeActivity<W>` runs one attempt of one node of `W` through
//! [`Runtime::call_node`], on the worker's `workflow_core::Runtime` (its resources are the
//! nodes' `Res<T>`), heartbeating while the node runs.

use std::cell::RefCell;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use futures::FutureExt;
use temporalio_common::ActivityDefinition;
use temporalio_sdk::activities::{
    ActivityContext, ActivityDefinitions, ActivityError, ActivityImplementer, ExecutableActivity,
};
use temporalio_sdk::ApplicationFailure;
use workflow_core::remote::{EmitLog, Emitted, FanOutSeen, NodeByNode, NodeCall, NodeCallFailure};
use workflow_core::{Causes, Runtime, TimeoutScope, WorkflowError};

use crate::wire::{FailureInfo, FailureKind, NodeInput, NodeOutput};

thread_local! {
    /// The activity type being registered. The SDK asks an activity type for its name
    /// through `ExecutableActivity::definition()`, a fn without arguments, while one
    /// generic type serves every node; registration sets the name here around the call.
    static REGISTERING: RefCell<String> = const { RefCell::new(String::new()) };
}

/// One node's activity type (the SDK's marker for it).
pub(crate) struct NodeActivity<W> {
    name: String,
    _workflow: PhantomData<fn() -> W>,
}

impl<W> NodeActivity<W> {
    /// The activity type `name` (`Workflow.binding`), to schedule.
    pub(crate) fn named(name: String) -> Self {
        Self {
            name,
            _workflow: PhantomData,
        }
    }
}

impl<W: NodeByNode> ActivityDefinition for NodeActivity<W> {
    type Input = NodeInput;
    type Output = NodeOutput;

    fn name(&self) -> &str {
        &self.name
    }
}

/// What runs one node's activity: the node, the worker's runtime and settings.
pub(crate) struct NodeImpl<W> {
    node: usize,
    runtime: Runtime,
    heartbeat: Duration,
    max_payload_bytes: usize,
    _workflow: PhantomData<fn() -> W>,
}

impl<W: NodeByNode> NodeImpl<W> {
    pub(crate) fn new(
        node: usize,
        runtime: Runtime,
        heartbeat: Duration,
        max_payload_bytes: usize,
    ) -> Self {
        Self {
            node,
            runtime,
            heartbeat,
            max_payload_bytes,
            _workflow: PhantomData,
        }
    }
}

impl<W: NodeByNode> ActivityImplementer for NodeImpl<W> {
    fn register_all(self: Arc<Self>, defs: &mut ActivityDefinitions) {
        let name = crate::policy::node_activity_type::<W>(self.node);
        REGISTERING.with(|r| *r.borrow_mut() = name);
        defs.register_activity::<NodeActivity<W>>(self);
        REGISTERING.with(|r| r.borrow_mut().clear());
    }
}

impl<W: NodeByNode> ExecutableActivity for NodeActivity<W> {
    type Implementer = NodeImpl<W>;
    const REQUIRES_INSTANCE: bool = true;

    fn definition() -> Self {
        Self {
            name: REGISTERING.with(|r| r.borrow().clone()),
            _workflow: PhantomData,
        }
    }

    fn execute(
        receiver: Option<Arc<NodeImpl<W>>>,
        ctx: ActivityContext,
        input: NodeInput,
    ) -> BoxFuture<'static, Result<NodeOutput, ActivityError>> {
        async move {
            let Some(imp) = receiver else {
                return Err(ActivityError::from(ApplicationFailure::non_retryable(
                    "a node activity was called without its node",
                )));
            };
            imp.run(ctx, input).await
        }
        .boxed()
    }
}

impl<W: NodeByNode> NodeImpl<W> {
    async fn run(
        &self,
        ctx: ActivityContext,
        input: NodeInput,
    ) -> Result<NodeOutput, ActivityError> {
        let attempt = ctx.info().attempt.max(1);
        let node_name = W::PLAN.nodes[self.node].name;
        let fail = |kind: FailureKind, message: String, retryable: bool| {
            failure(
                FailureInfo {
                    kind,
                    node: Some(node_name.to_owned()),
                    attempts: attempt,
                    message,
                    chain: Vec::new(),
                    size: None,
                },
                retryable,
            )
        };
        let encoded_input = match &input.input {
            Some(v) => Some(
                serde_json::to_vec(v)
                    .map_err(|e| fail(FailureKind::Payload, e.to_string(), false))?,
            ),
            None => None,
        };
        let mut encoded_sources = Vec::with_capacity(input.sources.len());
        for (i, v) in &input.sources {
            let bytes = serde_json::to_vec(v)
                .map_err(|e| fail(FailureKind::Payload, e.to_string(), false))?;
            encoded_sources.push((*i, bytes));
        }
        let sources: Vec<(usize, &[u8])> = encoded_sources
            .iter()
            .map(|(i, b)| (*i, b.as_slice()))
            .collect();
        let emitted = EmitLog::new();
        // The workflow id names the run for `ctx.idempotency_key()`: the same on every
        // attempt and worker, and across a continue-as-new chain.
        let run_key = ctx.info().workflow_id.clone().unwrap_or_default();
        let mut call = NodeCall::new(self.node, attempt, encoded_input.as_deref(), &sources)
            .with_emitted(&emitted);
        if !run_key.is_empty() {
            call = call.with_run_key(&run_key);
        }
        // One item of a `for` fan-out: the list holds that item only, numbered as in the
        // whole list (its paths, keys and errors are `thumbs[3].img`).
        let seen = FanOutSeen::new();
        if let Some(item) = input.item {
            call = call.with_first_item(item).with_fan_out_seen(&seen);
        }

        // Heartbeats while the node runs, so that a worker that dies is noticed within
        // the heartbeat timeout; a cancelled activity (the run failed elsewhere, or timed
        // out) drops the node's future. Each heartbeat carries the node's latest
        // `ctx.emit` messages as its details (Temporal keeps the last heartbeat's).
        let running = self.runtime.call_node::<W>(call);
        tokio::pin!(running);
        // A zero interval is no heartbeats (`interval` panics on it); the mapping's
        // heartbeat timeout is zero too, which Temporal reads as none.
        let mut tick = (!self.heartbeat.is_zero()).then(|| tokio::time::interval(self.heartbeat));
        let mut details = HeartbeatDetails {
            attempt,
            ..HeartbeatDetails::default()
        };
        let result = loop {
            tokio::select! {
                result = &mut running => break result,
                _ = next_tick(&mut tick) => {
                    details.add(emitted.take_new());
                    // A failed heartbeat is not the node's failure: the server's heartbeat
                    // timeout decides.
                    let _ = ctx.record_heartbeat(details.payload()).await;
                }
                () = ctx.cancelled() => return Err(ActivityError::cancelled()),
            }
        };

        match result {
            Ok(bytes) => {
                if bytes.len() > self.max_payload_bytes {
                    let info = FailureInfo::too_large(
                        Some(node_name),
                        true,
                        bytes.len(),
                        self.max_payload_bytes,
                    );
                    return Err(failure(info, false));
                }
                let value = serde_json::from_slice(&bytes)
                    .map_err(|e| fail(FailureKind::Payload, e.to_string(), false))?;
                Ok(NodeOutput {
                    value,
                    attempt,
                    fan_out_concurrency: input.item.and(seen.concurrency()),
                })
            }
            Err(NodeCallFailure::Failed {
                source, retryable, ..
            }) => {
                // Each cause once: a chain that loops ends (`Causes`).
                let error: &(dyn std::error::Error + 'static) = &*source;
                let chain = Causes::of(error).map(text).collect();
                Err(failure(
                    FailureInfo {
                        kind: FailureKind::NodeFailed,
                        node: Some(node_name.to_owned()),
                        attempts: attempt,
                        message: text(error),
                        chain,
                        size: None,
                    },
                    retryable,
                ))
            }
            Err(NodeCallFailure::Child { error, retryable }) => {
                Err(child_failure(&error, node_name, attempt, retryable))
            }
            Err(NodeCallFailure::Panicked { message, .. }) => {
                // A panic is a bug, not a transient failure: like the in-process runtime,
                // it is not retried.
                Err(fail(FailureKind::NodePanicked, message, false))
            }
            Err(NodeCallFailure::TimedOut {
                limit, retryable, ..
            }) => Err(fail(
                FailureKind::NodeTimeout,
                limit.as_millis().to_string(),
                retryable,
            )),
            Err(NodeCallFailure::MissingResource {
                type_name,
                registered_as_arc,
                ..
            }) => {
                let kind = if registered_as_arc {
                    FailureKind::ResourceRegisteredAsArc
                } else {
                    FailureKind::MissingResource
                };
                Err(fail(kind, type_name.to_owned(), false))
            }
            Err(other) => Err(fail(FailureKind::Payload, other.to_string(), false)),
        }
    }
}

/// What a node's heartbeat carries: its latest `ctx.emit` messages.
#[derive(Debug, Default)]
struct HeartbeatDetails {
    /// The last [`HEARTBEAT_MESSAGES`] messages, oldest first.
    last: std::collections::VecDeque<EmittedMessage>,
    /// How many the node emitted in all.
    count: u64,
    /// The attempt running: a `schedule_to_close` timeout (the node's
    /// `retry(total_timeout)`) says which attempt it ran out in from the last heartbeat.
    attempt: u32,
}

/// At most this many messages ride on one heartbeat: Temporal keeps only the last
/// heartbeat's details, and they count against the payload limit.
const HEARTBEAT_MESSAGES: usize = 20;

/// One `ctx.emit` message in heartbeat details.
#[derive(Debug, Clone, serde::Serialize)]
struct EmittedMessage {
    node: String,
    message: String,
}

impl HeartbeatDetails {
    fn add(&mut self, new: Vec<Emitted>) {
        for e in new {
            self.count += 1;
            if self.last.len() == HEARTBEAT_MESSAGES {
                self.last.pop_front();
            }
            self.last.push_back(EmittedMessage {
                node: e.node.into_owned(),
                message: e.message,
            });
        }
    }

    /// `{"attempt": 2, "emitted": 3, "last": [{"node": "b", "message": ".."}, ..]}`.
    fn payload(&self) -> serde_json::Value {
        serde_json::json!({ "attempt": self.attempt, "emitted": self.count, "last": self.last })
    }
}

/// The next heartbeat tick, or never when heartbeats are off.
async fn next_tick(tick: &mut Option<tokio::time::Interval>) {
    match tick {
        Some(tick) => {
            tick.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// A fan-out's or sub-workflow's child run failed: the child's error, kind by kind (its
/// nodes named by their paths), as the activity's failure, so that the run fails with
/// the same `WorkflowError` as in-process.
fn child_failure(
    error: &WorkflowError,
    node: &str,
    attempt: u32,
    retryable: bool,
) -> ActivityError {
    let infos = failure_infos(error, node, attempt);
    let details = serde_json::to_string(&infos).unwrap_or_default();
    let kind = infos.first().map_or(FailureKind::NodeFailed, |f| f.kind);
    ActivityError::from(
        ApplicationFailure::builder(error.to_string())
            .type_name(kind.type_name().to_owned())
            .non_retryable(!retryable)
            .details(details)
            .build(),
    )
}

/// A node error's text for the wire, as the run's own errors print it: one whose
/// `Display` panics, or fails (which `to_string` turns into a panic), is a note in its
/// place, not a panic in the activity.
fn text(error: &(dyn std::error::Error + 'static)) -> String {
    use std::fmt::Write as _;
    let mut text = String::new();
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| write!(text, "{error}"))) {
        Ok(Ok(())) => text,
        Ok(Err(std::fmt::Error)) => "<error whose `Display` failed>".to_owned(),
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a payload that is not a string".to_owned());
            format!("<error whose `Display` panicked: {message}>")
        }
    }
}

/// `error` as [`FailureInfo`]s (several for `Multiple`). What has no kind of its own on
/// the wire (a child's deadlock, shutdown or store failure) becomes `NodeFailed` of the
/// fan-out node `node` with the error's text.
pub(crate) fn failure_infos(error: &WorkflowError, node: &str, attempt: u32) -> Vec<FailureInfo> {
    let info = |kind, at: &str, attempts, message: String, chain| FailureInfo {
        kind,
        node: Some(at.to_owned()),
        attempts,
        message,
        chain,
        size: None,
    };
    match error {
        WorkflowError::NodeFailed {
            node: at,
            attempts,
            source,
            ..
        } => {
            // Each cause once: a chain that loops ends (`Causes`).
            let error: &(dyn std::error::Error + 'static) = &**source;
            let chain = Causes::of(error).map(text).collect();
            vec![info(
                FailureKind::NodeFailed,
                at,
                *attempts,
                text(error),
                chain,
            )]
        }
        WorkflowError::NodePanicked {
            node: at, message, ..
        } => vec![info(
            FailureKind::NodePanicked,
            at,
            1,
            message.clone(),
            Vec::new(),
        )],
        WorkflowError::Timeout {
            scope: TimeoutScope::Node(at),
            limit,
            all_attempts: true,
            attempts,
            ..
        } => vec![info(
            FailureKind::NodeTotalTimeout,
            at,
            *attempts,
            limit.as_millis().to_string(),
            Vec::new(),
        )],
        WorkflowError::Timeout {
            scope: TimeoutScope::Node(at),
            limit,
            ..
        } => vec![info(
            FailureKind::NodeTimeout,
            at,
            attempt,
            limit.as_millis().to_string(),
            Vec::new(),
        )],
        // A future registered in the resource's place is a missing resource remotely.
        WorkflowError::MissingResource {
            node: at,
            type_name,
            ..
        }
        | WorkflowError::ResourceRegisteredAsFuture {
            node: at,
            type_name,
            ..
        }
        | WorkflowError::ResourceRegisteredAsOtherType {
            node: at,
            type_name,
            ..
        } => vec![info(
            FailureKind::MissingResource,
            at,
            0,
            (*type_name).to_owned(),
            Vec::new(),
        )],
        WorkflowError::ResourceRegisteredAsArc {
            node: at,
            type_name,
            ..
        } => vec![info(
            FailureKind::ResourceRegisteredAsArc,
            at,
            0,
            (*type_name).to_owned(),
            Vec::new(),
        )],
        WorkflowError::Cancelled { .. } => {
            vec![info(
                FailureKind::Cancelled,
                node,
                0,
                "cancelled".into(),
                Vec::new(),
            )]
        }
        WorkflowError::Multiple { errors, .. } => errors
            .iter()
            .flat_map(|e| failure_infos(e, node, attempt))
            .collect(),
        other => vec![info(
            FailureKind::NodeFailed,
            node,
            attempt,
            other.to_string(),
            Vec::new(),
        )],
    }
}

/// The activity error carrying `info` (as JSON details, and its kind as the failure's
/// type), retryable or not.
fn failure(info: FailureInfo, retryable: bool) -> ActivityError {
    let details = serde_json::to_string(&[&info]).unwrap_or_default();
    ActivityError::from(
        ApplicationFailure::builder(info.message.clone())
            .type_name(info.kind.type_name().to_owned())
            .non_retryable(!retryable)
            .details(details)
            .build(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A node error whose `Display` panics, and whose `source()` is itself.
    #[derive(Debug)]
    struct Hostile;

    impl std::fmt::Display for Hostile {
        fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            panic!("boom displaying")
        }
    }

    impl std::error::Error for Hostile {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(self)
        }
    }

    /// Its failure for the wire is made in finite time, without a panic: the text is a
    /// note, the chain ends at the loop (at once, or once more: see `Causes`).
    #[test]
    fn a_node_error_whose_display_panics_and_source_loops_is_a_failure_with_notes() {
        let error = WorkflowError::NodeFailed {
            workflow: "W",
            node: "n".into(),
            attempts: 2,
            source: Box::new(Hostile),
        };
        let infos = failure_infos(&error, "n", 2);
        let [info] = infos.as_slice() else {
            panic!("{infos:?}")
        };
        let note = "<error whose `Display` panicked: boom displaying>";
        assert_eq!(info.message, note);
        assert!(info.chain.len() <= 1, "{:?}", info.chain);
        assert!(info.chain.iter().all(|c| c == note), "{:?}", info.chain);
    }
}
