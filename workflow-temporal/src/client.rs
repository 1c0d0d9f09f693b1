//! Starting runs on Temporal and reading their results back as the workflow's own types.

use std::marker::PhantomData;

use futures::future::BoxFuture;

use temporalio_client::errors::WorkflowGetResultError;
use temporalio_client::{
    Client, ClientOptions, Connection, ConnectionOptions, Url, WorkflowDescribeOptions,
    WorkflowFetchHistoryOptions, WorkflowGetResultOptions, WorkflowHandle, WorkflowStartOptions,
};
use temporalio_common::protos::temporal::api::history::v1::history_event::Attributes;
use temporalio_common::protos::temporal::api::history::v1::HistoryEvent;
use workflow_core::remote::NodeByNode;
use workflow_core::store::RunId;
use workflow_core::{TimeoutScope, WorkflowError};

use crate::error::{from_failures, Error};
use crate::graph::{GraphRun, GraphRunInput};
use crate::policy::{task_queue, TemporalSettings};
use crate::wire::{FailureInfo, GraphInput};

/// A connection to a Temporal server, with the settings of the runs it starts.
///
/// Cheap to clone; workers are built from it ([`TemporalWorker::new`](crate::TemporalWorker::new)).
#[derive(Clone)]
pub struct TemporalClient {
    pub(crate) client: Client,
    pub(crate) settings: TemporalSettings,
}

impl std::fmt::Debug for TemporalClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemporalClient")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl TemporalClient {
    /// Connects to the Temporal server at `target` (`http://127.0.0.1:7233`).
    ///
    /// # Errors
    ///
    /// [`Error::Temporal`] when `target` is not a URL or the server cannot be reached.
    pub async fn connect(target: &str, settings: TemporalSettings) -> Result<Self, Error> {
        Self::connect_as(target, settings, None).await
    }

    /// Like [`connect`](Self::connect), with the identity this process shows in run
    /// histories (a worker's identity is its client's; default: Temporal's
    /// `pid@hostname`).
    ///
    /// # Errors
    ///
    /// As [`connect`](Self::connect).
    pub async fn connect_as(
        target: &str,
        settings: TemporalSettings,
        identity: Option<String>,
    ) -> Result<Self, Error> {
        let url = Url::parse(target).map_err(|e| Error::temporal("parsing the server URL", e))?;
        let mut options = ConnectionOptions::new(url).build();
        if let Some(identity) = identity {
            options.identity = identity;
        }
        let connection = Connection::connect(options)
            .await
            .map_err(|e| Error::temporal("connecting to the server", e))?;
        let client = Client::new(
            connection,
            ClientOptions::new(settings.namespace.clone()).build(),
        )
        .map_err(|e| Error::temporal("creating the client", e))?;
        Ok(Self { client, settings })
    }

    /// The settings of the runs this client starts.
    pub fn settings(&self) -> &TemporalSettings {
        &self.settings
    }

    /// Starts a run of `W` with id `workflow_id` (unique among running workflows of the
    /// namespace), on `W`'s task queue ([`task_queue`](crate::task_queue)).
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] when `W` has an `#[ephemeral]` binding;
    /// [`Error::Payload`] when the input does not encode, [`Error::PayloadTooLarge`]
    /// when it is over the payload limit;
    /// [`Error::Temporal`] when the server refuses the start (an id already running).
    //
    // A plain fn returning a boxed future rather than an `async fn`, so that a workflow
    // that is not durable is one error, at `W` (an `async fn` repeats its bounds at the
    // call and at its `.await`); the future's type names only `W`'s output. The input is
    // encoded at the call, the server reached when the future is awaited.
    pub fn start<'a, W: NodeByNode>(
        &'a self,
        input: &'a W::Input,
        workflow_id: &'a str,
    ) -> BoxFuture<'a, Result<TemporalRunHandle<W>, Error>> {
        // Encoded before the future, which then holds no `&W::Input` (not always `Sync`).
        let encoded = Error::check_supported::<W>()
            .and_then(|()| W::encode_input(input).map_err(|e| Error::Payload(e.to_string())));
        Box::pin(async move {
            let bytes = encoded?;
            if bytes.len() > self.settings.max_payload_bytes {
                return Err(Error::PayloadTooLarge {
                    workflow: W::NAME,
                    node: None,
                    output: false,
                    bytes: bytes.len() as u64,
                    limit: self.settings.max_payload_bytes as u64,
                });
            }
            let input =
                serde_json::from_slice(&bytes).map_err(|e| Error::Payload(e.to_string()))?;
            let run_input = GraphRunInput::new(GraphInput { input }, &self.settings);
            let mut options =
                WorkflowStartOptions::new(task_queue::<W>(&self.settings), workflow_id).build();
            options.execution_timeout = W::PLAN.policy.timeout;
            let handle = self
                .client
                .start_workflow(GraphRun::<W>::new(), run_input, options)
                .await
                .map_err(|e| Error::temporal("starting the workflow", e))?;
            Ok(TemporalRunHandle {
                handle,
                _workflow: PhantomData,
            })
        })
    }

    /// Starts a run of `W` and waits for its outputs: what
    /// [`Runtime::execute`](workflow_core::Runtime::execute) does in-process.
    ///
    /// # Errors
    ///
    /// [`Error::Workflow`] with the same `WorkflowError` the run would have ended with
    /// in-process; the other variants for what only Temporal can do wrong.
    ///
    /// # Examples
    ///
    /// Temporal runs durable workflows only: one declared without `#[workflow(durable)]`
    /// is a compile error at `W` ("`Plain` is not a durable workflow, so it cannot run
    /// node by node").
    ///
    /// ```compile_fail,E0277
    /// use workflow_core::prelude::*;
    /// use workflow_temporal::TemporalClient;
    ///
    /// #[node]
    /// async fn double(n: u32) -> u32 {
    ///     n * 2
    /// }
    ///
    /// workflow! {
    ///     struct Plain {
    ///         input n: u32,
    ///         d = double(n),
    ///     }
    /// }
    ///
    /// async fn go(client: TemporalClient) {
    ///     let _ = client.execute::<Plain>(&PlainInput { n: 1 }, "plain-1").await;
    /// }
    /// ```
    //
    // A plain fn returning a boxed future, like `start`: a workflow that is not durable
    // is one error (an `async fn` repeated it at the call and at its `.await`).
    pub fn execute<'a, W: NodeByNode>(
        &'a self,
        input: &'a W::Input,
        workflow_id: &'a str,
    ) -> BoxFuture<'a, Result<TemporalRun<W::Output>, Error>> {
        let start = self.start::<W>(input, workflow_id);
        Box::pin(async move { start.await?.result().await })
    }
}

/// The outputs of a run on Temporal.
#[derive(Debug)]
#[non_exhaustive]
pub struct TemporalRun<O> {
    /// The workflow's outputs.
    pub outputs: O,
    /// The Temporal workflow id.
    pub workflow_id: String,
    /// The attempt that succeeded, per node (binding name, attempt from 1), in plan order.
    pub attempts: Vec<(&'static str, u32)>,
}

/// One attempt of one node, as the run's Temporal history records it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ActivityAttempt {
    /// The node's binding name (the activity id).
    pub node: String,
    /// The attempt, from 1.
    pub attempt: u32,
    /// The identity of the worker that ran it.
    pub worker: String,
}

/// A node of a run on Temporal that is running now, and what it last emitted
/// (`ctx.emit`), as its latest heartbeat carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NodeProgress {
    /// The node's binding name (the activity id).
    pub node: String,
    /// The attempt running.
    pub attempt: u32,
    /// How many messages the attempt emitted so far (as of its last heartbeat).
    pub emitted: u64,
    /// Its latest messages (at most 20), oldest first: `(node, message)`, where `node`
    /// is the binding or, inside a fan-out, a path such as `thumbs[3].img`.
    pub last: Vec<(String, String)>,
}

/// The most runs of one continue-as-new chain [`TemporalRunHandle::attempts`] reads.
const MAX_CHAIN_RUNS: usize = 100_000;

/// A run started on Temporal.
pub struct TemporalRunHandle<W: NodeByNode> {
    handle: WorkflowHandle<Client, GraphRun<W>>,
    _workflow: PhantomData<fn() -> W>,
}

impl<W: NodeByNode> std::fmt::Debug for TemporalRunHandle<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemporalRunHandle")
            .field("workflow", &W::NAME)
            .field("workflow_id", &self.workflow_id())
            .finish_non_exhaustive()
    }
}

impl<W: NodeByNode> TemporalRunHandle<W> {
    /// The Temporal workflow id.
    pub fn workflow_id(&self) -> &str {
        &self.handle.info().workflow_id
    }

    /// Waits for the run to end and returns its outputs.
    ///
    /// # Errors
    ///
    /// As [`TemporalClient::execute`].
    pub async fn result(&self) -> Result<TemporalRun<W::Output>, Error> {
        let workflow_id = self.workflow_id().to_owned();
        match self
            .handle
            .get_result(WorkflowGetResultOptions::default())
            .await
        {
            Ok(output) => {
                let bytes = serde_json::to_vec(&output.outputs)
                    .map_err(|e| Error::Payload(e.to_string()))?;
                let outputs = W::decode_output(&bytes, RunId(0))
                    .map_err(|e| Error::Payload(e.to_string()))?;
                let attempts = W::PLAN
                    .nodes
                    .iter()
                    .zip(output.attempts)
                    .map(|(n, a)| (n.name, a))
                    .collect();
                Ok(TemporalRun {
                    outputs,
                    workflow_id,
                    attempts,
                })
            }
            Err(WorkflowGetResultError::Failed(failure)) => {
                let failures = match &*failure {
                    temporalio_common::error::IncomingError::Application(app) => app
                        .details::<String>()
                        .ok()
                        .flatten()
                        .and_then(|t| serde_json::from_str::<Vec<FailureInfo>>(&t).ok()),
                    _ => None,
                };
                match failures {
                    Some(failures) if !failures.is_empty() => Err(from_failures::<W>(failures)),
                    _ => Err(Error::temporal("the run failed", failure.to_string())),
                }
            }
            Err(WorkflowGetResultError::TimedOut) => Err(Error::Workflow(WorkflowError::Timeout {
                workflow: W::NAME,
                scope: TimeoutScope::Workflow,
                limit: W::PLAN.policy.timeout.unwrap_or_default(),
                running: Vec::new(),
                attempts: 0,
                all_attempts: false,
                // Temporal's timeout says nothing of the nodes it stopped.
                retrying: Vec::new(),
            })),
            Err(WorkflowGetResultError::Cancelled { .. }) => {
                Err(Error::Workflow(WorkflowError::Cancelled {
                    workflow: W::NAME,
                    running: Vec::new(),
                    retrying: Vec::new(),
                }))
            }
            Err(WorkflowGetResultError::Terminated { details }) => {
                Err(Error::Terminated(format!("{details:?}")))
            }
            Err(other) => Err(Error::temporal("waiting for the result", other)),
        }
    }

    /// The nodes running now, each with what it last emitted (`ctx.emit` reaches
    /// Temporal as heartbeat details, sent every [`TemporalSettings::heartbeat`]).
    ///
    /// # Errors
    ///
    /// [`Error::Temporal`] when the run cannot be described.
    pub async fn progress(&self) -> Result<Vec<NodeProgress>, Error> {
        let description = self
            .handle
            .describe(WorkflowDescribeOptions::default())
            .await
            .map_err(|e| Error::temporal("describing the run", e))?;
        let mut out = Vec::new();
        for pending in description.raw_description.pending_activities {
            let details = pending
                .heartbeat_details
                .and_then(|d| d.payloads.into_iter().next())
                .and_then(|p| serde_json::from_slice::<serde_json::Value>(&p.data).ok())
                .unwrap_or_default();
            let last = details["last"]
                .as_array()
                .map(|messages| {
                    messages
                        .iter()
                        .map(|m| {
                            let text = |key: &str| m[key].as_str().unwrap_or_default().to_owned();
                            (text("node"), text("message"))
                        })
                        .collect()
                })
                .unwrap_or_default();
            out.push(NodeProgress {
                node: pending.activity_id,
                attempt: u32::try_from(pending.attempt).unwrap_or(0),
                emitted: details["emitted"].as_u64().unwrap_or(0),
                last,
            });
        }
        Ok(out)
    }

    /// Every attempt of every node the run's history records so far, in order: which
    /// worker ran it and which attempt it was (a `for` fan-out's items are activities of
    /// their own, `thumbs[3]`). A run that continued as new is a chain of Temporal runs,
    /// each with a history of its own: this reads them all, in order.
    ///
    /// # Errors
    ///
    /// [`Error::Temporal`] when the history cannot be read.
    pub async fn attempts(&self) -> Result<Vec<ActivityAttempt>, Error> {
        let mut out = Vec::new();
        for events in self.histories().await? {
            let mut scheduled = std::collections::HashMap::new();
            for event in events {
                match event.attributes {
                    Some(Attributes::ActivityTaskScheduledEventAttributes(a)) => {
                        scheduled.insert(event.event_id, a.activity_id);
                    }
                    Some(Attributes::ActivityTaskStartedEventAttributes(a)) => {
                        out.push(ActivityAttempt {
                            node: scheduled
                                .get(&a.scheduled_event_id)
                                .cloned()
                                .unwrap_or_default(),
                            attempt: u32::try_from(a.attempt).unwrap_or(0),
                            worker: a.identity,
                        });
                    }
                    _ => {}
                }
            }
        }
        Ok(out)
    }

    /// The most node activities (nodes, and items of `for` fan-outs) the run had
    /// scheduled and not yet closed at once, as its history records them: what
    /// `TemporalSettings::max_pending_nodes` and a fan-out's `#[concurrency = N]` bound.
    ///
    /// # Errors
    ///
    /// [`Error::Temporal`] when the history cannot be read.
    pub async fn most_pending(&self) -> Result<usize, Error> {
        let mut most = 0;
        for events in self.histories().await? {
            let mut pending = 0usize;
            for event in events {
                match event.attributes {
                    Some(Attributes::ActivityTaskScheduledEventAttributes(_)) => {
                        pending += 1;
                        most = most.max(pending);
                    }
                    Some(
                        Attributes::ActivityTaskCompletedEventAttributes(_)
                        | Attributes::ActivityTaskFailedEventAttributes(_)
                        | Attributes::ActivityTaskTimedOutEventAttributes(_)
                        | Attributes::ActivityTaskCanceledEventAttributes(_),
                    ) => pending = pending.saturating_sub(1),
                    _ => {}
                }
            }
        }
        Ok(most)
    }

    /// The history of every Temporal run of the chain so far, in order.
    async fn histories(&self) -> Result<Vec<Vec<HistoryEvent>>, Error> {
        let mut out = Vec::new();
        let mut run = self.handle.info().clone();
        // A chain is as long as the run's nodes allow; the bound only guards against a
        // server that links runs in a cycle.
        for _ in 0..MAX_CHAIN_RUNS {
            let handle = WorkflowHandle::<Client, GraphRun<W>>::new(
                self.handle.client().clone(),
                run.clone(),
            );
            let events = handle
                .fetch_history(WorkflowFetchHistoryOptions::default())
                .into_events()
                .await
                .map_err(|e| Error::temporal("reading the history", e))?;
            let next = events.iter().find_map(|event| match &event.attributes {
                Some(Attributes::WorkflowExecutionContinuedAsNewEventAttributes(a))
                    if !a.new_execution_run_id.is_empty() =>
                {
                    Some(a.new_execution_run_id.clone())
                }
                _ => None,
            });
            out.push(events);
            match next {
                Some(next) => run.run_id = Some(next),
                None => break,
            }
        }
        Ok(out)
    }
}
