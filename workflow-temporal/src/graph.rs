//! The graph is a Temporal workflow: `GraphWorkflow<W>` drives `W`'s static plan with
//! Temporal's deterministic primitives only (activities and their completions), so there
//! is no user code on the workflow side and nothing that could break replay.
//!
//! A node's activity is scheduled as soon as the last node it reads completed (not level
//! by level), up to `concurrency` at once; completions are handled in the order Temporal
//! delivers them, which replays identically. Fail-fast ends the run with the first
//! failure (Temporal abandons the activities still running); `failure = "continue"` lets
//! every node that does not depend on a failed one finish and reports all failures.
//!
//! A decision's router is a node like the others (its activity evaluates the user's
//! `match` on a worker and returns the index of the arm it took, recorded in the
//! history); when it completes, the nodes of every other arm end not taken and count as
//! finished for their successors, as in-process (`take_arm` in the executor's driver).
//! Values are kept by slot (a binding defined in several arms fills one slot), and a
//! slot whose producer was not taken is not sent: a `name?` port reads it as `None`.
//!
//! A `for` fan-out is one activity per item (`fanout.rs`): when the node is ready, its
//! list is taken out of its input and each item is scheduled as the fan-out node's own
//! activity (`thumbs[3]`) sent that item only, at most the fan-out's `concurrency` at
//! once (learnt from the first item, which runs alone) and within the pending window;
//! the node completes with the items' outputs in item order. A lost worker re-runs only
//! the items it had not finished.

use std::collections::VecDeque;
use std::marker::PhantomData;
use std::time::Duration;

use futures::future::select_all;
use futures::FutureExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use temporalio_common::error::{ActivityExecutionError, IncomingError};
use temporalio_common::{HasWorkflowDefinition, WorkflowDefinition};
use temporalio_sdk::{
    ApplicationFailure, ContinueAsNewOptions, OutgoingWorkflowError, TimeoutType, WorkflowContext,
    WorkflowContextView, WorkflowTermination,
};
use temporalio_workflow::__private::macros::WorkflowDefinitionDescriptor;
use temporalio_workflow::__private::LocalBoxFuture;
use temporalio_workflow::workflow_interceptors::WorkflowOutputValue;
use temporalio_workflow::workflows::{
    WorkflowError as TemporalWorkflowError, WorkflowImplementation,
};
use workflow_core::__private::{Decision, Plan};
use workflow_core::policy::FailurePolicy;
use workflow_core::remote::NodeByNode;

use crate::activity::NodeActivity;
use crate::fanout::{list_at, FanOutRun};
use crate::policy::{NodeMapping, TemporalSettings};
use crate::wire::{FailureInfo, FailureKind, GraphInput, GraphOutput, NodeInput};

/// The Temporal workflow of `W` (what the worker registers).
pub(crate) struct GraphWorkflow<W>(PhantomData<fn() -> W>);

/// The workflow type's marker (its name is `W::NAME`).
pub(crate) struct GraphRun<W>(PhantomData<fn() -> W>);

impl<W> GraphRun<W> {
    pub(crate) fn new() -> Self {
        Self(PhantomData)
    }
}

impl<W: NodeByNode> WorkflowDefinition for GraphRun<W> {
    type Input = GraphRunInput;
    type Output = GraphOutput;

    fn name(&self) -> &str {
        W::NAME
    }
}

impl<W: NodeByNode> HasWorkflowDefinition for GraphRun<W> {
    type Run = Self;
}

/// The workflow's input: the run's inputs and the settings that shape its activities
/// (in the input, so a replay schedules exactly what the first execution did).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct GraphRunInput {
    pub(crate) graph: GraphInput,
    pub(crate) default_node_timeout_ms: u64,
    pub(crate) heartbeat_ms: u64,
    pub(crate) max_payload_bytes: usize,
    #[serde(default = "default_max_pending_nodes")]
    pub(crate) max_pending_nodes: usize,
    /// History events after which the run continues as a new run.
    #[serde(default = "default_continue_as_new_after")]
    pub(crate) continue_as_new_after: u32,
    /// Where the plan stood, in a run continued from another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) resume: Option<DriveState>,
}

fn default_continue_as_new_after() -> u32 {
    TemporalSettings::default().continue_as_new_after_events
}

fn default_max_pending_nodes() -> usize {
    TemporalSettings::default().max_pending_nodes
}

impl GraphRunInput {
    pub(crate) fn new(graph: GraphInput, settings: &TemporalSettings) -> Self {
        Self {
            graph,
            default_node_timeout_ms: millis(settings.default_node_timeout),
            heartbeat_ms: millis(settings.heartbeat),
            max_payload_bytes: settings.max_payload_bytes,
            max_pending_nodes: settings.max_pending_nodes,
            continue_as_new_after: settings.continue_as_new_after_events,
            resume: None,
        }
    }

    fn settings(&self) -> TemporalSettings {
        TemporalSettings::default()
            .default_node_timeout(Duration::from_millis(self.default_node_timeout_ms))
            .heartbeat(Duration::from_millis(self.heartbeat_ms))
            .max_payload_bytes(self.max_payload_bytes)
            .max_pending_nodes(self.max_pending_nodes)
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl<W: NodeByNode> WorkflowImplementation for GraphWorkflow<W> {
    type Run = GraphRun<W>;
    const HAS_INIT: bool = false;
    const INIT_TAKES_INPUT: bool = false;

    fn name() -> &'static str {
        W::NAME
    }

    fn definition() -> WorkflowDefinitionDescriptor {
        WorkflowDefinitionDescriptor {
            workflow_type: W::NAME.to_owned(),
            has_init: false,
            init_takes_input: false,
            signals: Vec::new(),
            queries: Vec::new(),
            updates: Vec::new(),
        }
    }

    fn init(_ctx: WorkflowContextView, _input: Option<GraphRunInput>) -> Self {
        Self(PhantomData)
    }

    fn run(
        ctx: WorkflowContext<Self>,
        input: Option<GraphRunInput>,
    ) -> LocalBoxFuture<'static, Result<Box<dyn WorkflowOutputValue>, WorkflowTermination>> {
        async move {
            let Some(input) = input else {
                return Err(terminate(vec![FailureInfo {
                    kind: FailureKind::Payload,
                    node: None,
                    attempts: 0,
                    message: "the workflow was started without its input".into(),
                    chain: Vec::new(),
                    size: None,
                }]));
            };
            match drive::<W>(&ctx, input).await {
                Ok(output) => Ok(Box::new(output) as Box<dyn WorkflowOutputValue>),
                Err(Ended::Failed(failures)) => Err(terminate(failures)),
                Err(Ended::ContinuedAsNew(termination)) => Err(termination),
            }
        }
        .boxed_local()
    }

    fn dispatch_signal(
        _ctx: WorkflowContext<Self>,
        name: &str,
        _input: Box<dyn std::any::Any>,
    ) -> LocalBoxFuture<'static, Result<(), TemporalWorkflowError>> {
        let message = format!("workflow `{}` has no signal `{name}`", W::NAME);
        async move { Err(TemporalWorkflowError::Execution(message.into())) }.boxed_local()
    }

    fn dispatch_query(
        &self,
        _ctx: WorkflowContextView,
        name: &str,
        _input: Box<dyn std::any::Any>,
    ) -> Result<Box<dyn WorkflowOutputValue>, TemporalWorkflowError> {
        Err(TemporalWorkflowError::Execution(
            format!("workflow `{}` has no query `{name}`", W::NAME).into(),
        ))
    }

    fn dispatch_update(
        _ctx: WorkflowContext<Self>,
        name: &str,
        _input: Box<dyn std::any::Any>,
    ) -> LocalBoxFuture<'static, Result<Box<dyn WorkflowOutputValue>, TemporalWorkflowError>> {
        let message = format!("workflow `{}` has no update `{name}`", W::NAME);
        async move { Err(TemporalWorkflowError::Execution(message.into())) }.boxed_local()
    }

    fn validate_update(
        &self,
        _ctx: WorkflowContextView,
        name: &str,
        _input: Box<dyn std::any::Any>,
    ) -> Result<(), TemporalWorkflowError> {
        Err(TemporalWorkflowError::Execution(
            format!("workflow `{}` has no update `{name}`", W::NAME).into(),
        ))
    }
}

/// The run's failure: its message is what `WorkflowError` would print; its details the
/// failures, for the client to rebuild that `WorkflowError`.
fn terminate(failures: Vec<FailureInfo>) -> WorkflowTermination {
    let message = match failures.as_slice() {
        [one] => match &one.node {
            Some(node) => format!("node `{node}`: {}", one.message),
            None => one.message.clone(),
        },
        many => format!("{} nodes failed", many.len()),
    };
    let details = serde_json::to_string(&failures).unwrap_or_default();
    let kind = failures
        .first()
        .map_or(FailureKind::Payload, |f| f.kind)
        .type_name();
    WorkflowTermination::Failed(OutgoingWorkflowError::Application(Box::new(
        ApplicationFailure::builder(message)
            .type_name(kind.to_owned())
            .non_retryable(true)
            .details(details)
            .build(),
    )))
}

/// Where a run's plan stands: what `drive` carries into the next run of a
/// continue-as-new chain.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct DriveState {
    /// Per node, predecessors still to finish.
    remaining: Vec<u32>,
    /// By slot (`NODE_SLOT`): the first definition of a binding defined in several
    /// arms. Only the values a node still to run reads, or the output needs, are carried.
    values: Vec<Option<Value>>,
    /// Nodes in an arm not taken: never run.
    blocked: Vec<bool>,
    /// Finished nodes (completed, failed, or blocked).
    done: Vec<bool>,
    attempts: Vec<u32>,
    ready: VecDeque<usize>,
    failures: Vec<FailureInfo>,
    losses: Vec<u32>,
    /// Runs of the chain before this one.
    runs: u32,
    /// `for` fan-outs whose items are running as activities of their own.
    #[serde(default)]
    fan_outs: Vec<FanOutRun>,
}

impl DriveState {
    fn new<W: NodeByNode>() -> Self {
        let plan = W::PLAN;
        let n = plan.nodes.len();
        let remaining: Vec<u32> = plan.deps.to_vec();
        Self {
            ready: (0..n).filter(|&i| remaining[i] == 0).collect(),
            remaining,
            values: vec![None; n],
            blocked: vec![false; n],
            done: vec![false; n],
            attempts: vec![0; n],
            failures: Vec::new(),
            losses: vec![0; n],
            runs: 0,
            fan_outs: Vec::new(),
        }
    }

    /// Drops the values no node still to run reads and the output does not need.
    fn prune<W: NodeByNode>(&mut self) {
        let mut needed = vec![false; self.values.len()];
        for &i in W::OUTPUT_NODES {
            needed[i] = true;
        }
        for (i, sources) in W::NODE_SOURCES.iter().enumerate() {
            if !self.done[i] {
                sources.iter().for_each(|&j| needed[j] = true);
            }
        }
        for (value, needed) in self.values.iter_mut().zip(needed) {
            if !needed {
                *value = None;
            }
        }
    }
}

/// How `drive` ended without the outputs.
enum Ended {
    /// The run failed.
    Failed(Vec<FailureInfo>),
    /// The history grew long: the run continues as a new run (this is the SDK's
    /// termination that says so).
    ContinuedAsNew(WorkflowTermination),
}

/// Runs the plan: every node an activity, each scheduled when the nodes it reads are done.
///
/// When the history reaches `continue_as_new_after` events (or the server suggests it),
/// no further node is scheduled; once the running ones finished, the run continues as a
/// new run of the same workflow id with the plan's state in its input (the values still
/// needed, which must fit in one payload).
async fn drive<W: NodeByNode>(
    ctx: &WorkflowContext<GraphWorkflow<W>>,
    mut input: GraphRunInput,
) -> Result<GraphOutput, Ended> {
    let plan = W::PLAN;
    let settings = input.settings();
    let mut st = input.resume.take().unwrap_or_else(DriveState::new::<W>);
    // The graph's `concurrency`, and never more than the pending-activity window.
    let limit = plan
        .policy
        .concurrency
        .unwrap_or(usize::MAX)
        .min(settings.max_pending_nodes)
        .max(1);
    let fail_fast = matches!(plan.policy.failure, FailurePolicy::FailFast);
    // Polled with `select_all`, which hands each activity future the workflow's own
    // waker: the SDK rejects wakers it did not create (FuturesUnordered's), and picks the
    // first finished future in scheduling order, so a replay sees the same order.
    let mut running = Vec::new();
    // Nodes in flight, for the graph's `concurrency` (a fan-out whose items are running
    // counts once, as in-process); every activity counts for the pending window.
    let mut nodes_running = st.fan_outs.len();
    let window = settings.max_pending_nodes.max(1);
    // Whether this run of the chain has scheduled a node: it continues as new only after,
    // so that every run makes progress. A run that begins over the threshold (0, or fewer
    // events than a run starts with) would otherwise continue at once, forever.
    let mut scheduled = false;

    loop {
        let continuing = scheduled
            && (ctx.history_length() >= input.continue_as_new_after
                || ctx.continue_as_new_suggested());
        while running.len() < window && !continuing {
            // Items of fan-outs already started first: their node holds a slot.
            if let Some((f, k)) = st
                .fan_outs
                .iter_mut()
                .enumerate()
                .find_map(|(f, run)| run.take_next().map(|k| (f, k)))
            {
                let run = &mut st.fan_outs[f];
                let i = run.node;
                let item = std::mem::take(&mut run.items[k]);
                let Some(at) = list_at::<W>(i) else {
                    return Err(Ended::Failed(vec![bad_state(i, "its list is gone")]));
                };
                let node_input = at.item_input(&run.base, k, item.clone());
                run.items[k] = item;
                let path = format!("{}[{k}]", plan.nodes[i].name);
                let size = serde_json::to_vec(&node_input).map_or(0, |v| v.len());
                if size > settings.max_payload_bytes {
                    let failure = FailureInfo::too_large(
                        Some(&path),
                        false,
                        size,
                        settings.max_payload_bytes,
                    );
                    if fail_fast {
                        return Err(Ended::Failed(vec![failure]));
                    }
                    st.fan_outs.remove(f);
                    nodes_running -= 1;
                    st.done[i] = true;
                    st.failures.push(failure);
                    continue;
                }
                run.running += 1;
                let mapping = NodeMapping::of::<W>(i, &settings);
                let mut options = mapping.activity_options();
                options.activity_id = Some(path);
                let activity = ctx.execute_activity(
                    NodeActivity::<W>::named(mapping.activity_type.clone()),
                    node_input,
                    options,
                );
                running
                    .push(async move { (Task::Item(i, k), mapping, activity.await) }.boxed_local());
                continue;
            }
            if nodes_running >= limit {
                break;
            }
            let Some(i) = st.ready.pop_front() else { break };
            if st.blocked[i] {
                continue;
            }
            let mut node_input = NodeInput {
                input: (!W::NODE_INPUTS[i].is_empty()).then(|| input.graph.input.clone()),
                sources: W::NODE_SOURCES[i]
                    .iter()
                    .filter_map(|&j| st.values[j].clone().map(|v| (j, v)))
                    .collect(),
                item: None,
            };
            // A `for` fan-out: one activity per item (see `fanout.rs`).
            if let Some(at) = list_at::<W>(i) {
                if let Some(items) = at.take_items(&mut node_input) {
                    if items.is_empty() {
                        complete::<W>(&mut st, i, Value::Array(Vec::new()), 1)?;
                    } else {
                        st.fan_outs.push(FanOutRun::new(i, node_input, items));
                        nodes_running += 1;
                    }
                    continue;
                }
            }
            let size = serde_json::to_vec(&node_input).map_or(0, |v| v.len());
            if size > settings.max_payload_bytes {
                let failure = FailureInfo::too_large(
                    Some(plan.nodes[i].name),
                    false,
                    size,
                    settings.max_payload_bytes,
                );
                if fail_fast {
                    return Err(Ended::Failed(vec![failure]));
                }
                st.done[i] = true;
                st.failures.push(failure);
                continue;
            }
            let mapping = NodeMapping::of::<W>(i, &settings);
            let mut options = mapping.activity_options();
            options.activity_id = Some(plan.nodes[i].name.to_owned());
            let activity = ctx.execute_activity(
                NodeActivity::<W>::named(mapping.activity_type.clone()),
                node_input,
                options,
            );
            nodes_running += 1;
            running.push(async move { (Task::Node(i), mapping, activity.await) }.boxed_local());
        }
        scheduled |= !running.is_empty();
        if running.is_empty() {
            if continuing && (!st.ready.is_empty() || !st.fan_outs.is_empty()) {
                st.runs += 1;
                st.prune::<W>();
                input.resume = Some(st);
                // The carried values are one payload: fail with our error, not the
                // server's, when they do not fit.
                let size = serde_json::to_vec(&input).map_or(0, |v| v.len());
                if size > settings.max_payload_bytes {
                    let mut failure =
                        FailureInfo::too_large(None, false, size, settings.max_payload_bytes);
                    failure.message = format!(
                        "continuing the run as new: its state and the values still needed are {size} bytes, over the {} byte limit of a Temporal payload",
                        settings.max_payload_bytes
                    );
                    return Err(Ended::Failed(vec![failure]));
                }
                return match ctx.continue_as_new(input, ContinueAsNewOptions::default()) {
                    Err(termination) => Err(Ended::ContinuedAsNew(termination)),
                    Ok(never) => match never {},
                };
            }
            break;
        }
        let ((task, mapping, result), _, rest) = select_all(running).await;
        running = rest;
        match task {
            Task::Node(i) => {
                nodes_running -= 1;
                match result {
                    Ok(output) => complete::<W>(&mut st, i, output.value, output.attempt)?,
                    Err(error) if worker_lost(&error) && st.losses[i] < MAX_WORKER_LOSSES => {
                        // The node's worker stopped heartbeating (it died, or lost the
                        // server): not the node's failure, so it runs again, even when
                        // its retry policy has no attempts left.
                        st.losses[i] += 1;
                        st.ready.push_front(i);
                    }
                    Err(error) => {
                        let node_failures = failure_of(plan.nodes[i].name, &mapping, &error);
                        if fail_fast {
                            return Err(Ended::Failed(node_failures));
                        }
                        st.done[i] = true;
                        st.failures.extend(node_failures);
                    }
                }
            }
            Task::Item(i, k) => {
                // A fan-out that already failed (under `failure = "continue"`) ignores
                // its items still running.
                let Some(f) = st.fan_outs.iter().position(|run| run.node == i) else {
                    continue;
                };
                let run = &mut st.fan_outs[f];
                run.running -= 1;
                match result {
                    Ok(output) => {
                        if output.fan_out_concurrency.is_some() {
                            run.concurrency = output.fan_out_concurrency;
                        }
                        // The item's call returned the fan-out's output for a list of
                        // one item.
                        let value = match output.value {
                            Value::Array(mut one) if one.len() == 1 => one.pop(),
                            _ => None,
                        };
                        let Some(value) = value else {
                            return Err(Ended::Failed(vec![bad_state(
                                i,
                                "an item's activity did not return one output",
                            )]));
                        };
                        run.outputs[k] = Some(value);
                        run.items[k] = Value::Null;
                        if let Some(joined) = run.joined() {
                            st.fan_outs.remove(f);
                            nodes_running -= 1;
                            complete::<W>(&mut st, i, joined, 1)?;
                        }
                    }
                    Err(error) if worker_lost(&error) && run.losses[k] < MAX_WORKER_LOSSES => {
                        run.losses[k] += 1;
                        run.again.push(k);
                    }
                    Err(error) => {
                        let failures = failure_of(plan.nodes[i].name, &mapping, &error);
                        if fail_fast {
                            return Err(Ended::Failed(failures));
                        }
                        st.fan_outs.remove(f);
                        nodes_running -= 1;
                        st.done[i] = true;
                        st.failures.extend(failures);
                    }
                }
            }
        }
    }
    if !st.failures.is_empty() {
        return Err(Ended::Failed(st.failures));
    }
    let outputs = W::OUTPUT_NODES
        .iter()
        .map(|&i| st.values[i].take().unwrap_or(Value::Null))
        .collect();
    let output = GraphOutput {
        outputs: Value::Array(outputs),
        attempts: st.attempts,
    };
    // Each node's output fits, but the output struct gathers several.
    let size = serde_json::to_vec(&output).map_or(0, |v| v.len());
    if size > settings.max_payload_bytes {
        return Err(Ended::Failed(vec![FailureInfo::too_large(
            None,
            true,
            size,
            settings.max_payload_bytes,
        )]));
    }
    Ok(output)
}

/// What an activity of `drive` runs.
#[derive(Debug, Clone, Copy)]
enum Task {
    /// A node.
    Node(usize),
    /// Item `.1` of the `for` fan-out node `.0`.
    Item(usize, usize),
}

/// Node `i` completed with `value` at attempt `attempt`: a router takes its arm, the value
/// fills the node's slot, and its successors whose inputs are all in become ready.
fn complete<W: NodeByNode>(
    st: &mut DriveState,
    i: usize,
    value: Value,
    attempt: u32,
) -> Result<(), Ended> {
    let plan = W::PLAN;
    st.attempts[i] = attempt;
    st.done[i] = true;
    if let Some(decision) = plan.decision_of(i) {
        let Some(arm) = value.as_u64().and_then(|a| usize::try_from(a).ok()) else {
            let failure = FailureInfo {
                kind: FailureKind::Payload,
                node: Some(plan.nodes[i].name.to_owned()),
                attempts: attempt,
                message: format!("the router returned {value}, not an arm"),
                chain: Vec::new(),
                size: None,
            };
            return Err(Ended::Failed(vec![failure]));
        };
        take_arm(
            plan,
            decision,
            arm,
            &mut st.blocked,
            &mut st.remaining,
            &mut st.ready,
        );
    }
    st.values[W::NODE_SLOT[i]] = Some(value);
    for &s in plan.nodes[i].successors {
        st.remaining[s] -= 1;
        if st.remaining[s] == 0 && !st.blocked[s] {
            st.ready.push_back(s);
        }
    }
    Ok(())
}

/// A run whose state does not match its plan (a history from another build).
fn bad_state(node: usize, why: &str) -> FailureInfo {
    FailureInfo {
        kind: FailureKind::Payload,
        node: None,
        attempts: 0,
        message: format!("node {node}: {why}"),
        chain: Vec::new(),
        size: None,
    }
}

/// The router of `decision` took `arm`: the nodes of the other arms never run and count as
/// finished for their successors (a merge after the decision waits for the taken arm
/// only). Before the router's own successors are scheduled, so no node of an arm not
/// taken is ever ready.
fn take_arm(
    plan: &Plan,
    decision: &Decision,
    arm: usize,
    blocked: &mut [bool],
    remaining: &mut [u32],
    ready: &mut VecDeque<usize>,
) {
    let not_taken = || {
        decision
            .arms
            .iter()
            .enumerate()
            .filter(move |&(j, _)| j != arm)
            .flat_map(|(_, nodes)| nodes.iter().copied())
    };
    for n in not_taken() {
        blocked[n] = true;
    }
    for n in not_taken() {
        for &s in plan.nodes[n].successors {
            remaining[s] -= 1;
            if remaining[s] == 0 && !blocked[s] {
                ready.push_back(s);
            }
        }
    }
}

/// How often one node is run again after its worker was lost, before the loss is
/// reported as the node's timeout.
const MAX_WORKER_LOSSES: u32 = 10;

/// Whether the activity failed because its worker stopped heartbeating. Our activities
/// heartbeat on their own while the node runs, so this is the worker, not the node.
fn worker_lost(error: &ActivityExecutionError) -> bool {
    matches!(
        error.cause(),
        Some(IncomingError::Timeout(t)) if t.timeout_type() == TimeoutType::Heartbeat
    )
}

/// What a failed activity of node `node` means: the details our activity attached (one
/// failure, or a fan-out's child run's several), or, for a failure the server decided
/// (a timeout), the same kinds.
fn failure_of(
    node: &str,
    mapping: &NodeMapping,
    error: &ActivityExecutionError,
) -> Vec<FailureInfo> {
    if let Some(IncomingError::Application(app)) = error.cause() {
        let details = app.details::<String>().ok().flatten();
        if let Some(infos) = details
            .and_then(|text| serde_json::from_str::<Vec<FailureInfo>>(&text).ok())
            .filter(|infos| !infos.is_empty())
        {
            return infos;
        }
    }
    vec![server_failure_of(node, mapping, error)]
}

/// A failure without our details: the server's (a timeout, a cancellation).
fn server_failure_of(
    node: &str,
    mapping: &NodeMapping,
    error: &ActivityExecutionError,
) -> FailureInfo {
    let base = |kind, attempts, message: String| FailureInfo {
        kind,
        node: Some(node.to_owned()),
        attempts,
        message,
        chain: Vec::new(),
        size: None,
    };
    match error.cause() {
        Some(IncomingError::Application(app)) => {
            base(FailureKind::NodeFailed, 0, app.source_error().to_string())
        }
        Some(IncomingError::Timeout(timeout)) => {
            match (timeout.timeout_type(), mapping.schedule_to_close) {
                // The node's `retry(total_timeout)`: all attempts together, run out in
                // the attempt that heartbeat last (each heartbeat names its attempt).
                (TimeoutType::ScheduleToClose, Some(total)) => {
                    let attempt = timeout
                        .last_heartbeat_details::<serde_json::Value>()
                        .ok()
                        .flatten()
                        .and_then(|d| d.get("attempt")?.as_u64())
                        .and_then(|n| u32::try_from(n).ok())
                        .unwrap_or(1);
                    base(
                        FailureKind::NodeTotalTimeout,
                        attempt,
                        total.as_millis().to_string(),
                    )
                }
                (kind, _) => {
                    let limit = match kind {
                        TimeoutType::Heartbeat => mapping.heartbeat_timeout,
                        _ => mapping.start_to_close,
                    };
                    base(
                        FailureKind::NodeTimeout,
                        mapping.retry.maximum_attempts,
                        limit.as_millis().to_string(),
                    )
                }
            }
        }
        Some(IncomingError::Cancelled(_)) => base(FailureKind::Cancelled, 0, "cancelled".into()),
        _ => match error {
            ActivityExecutionError::Cancelled(_) => {
                base(FailureKind::Cancelled, 0, "cancelled".into())
            }
            other => base(FailureKind::Payload, 0, other.to_string()),
        },
    }
}
