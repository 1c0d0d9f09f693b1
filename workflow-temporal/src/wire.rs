//! What travels through Temporal: the payloads of the generated workflow and of every node
//! activity, and the structured details of a failure. All JSON (Temporal's default
//! converter), so the Temporal UI shows readable values.
//!
//! Values are the JSON a durable run records (`DurableWorkflow`'s encoding), carried as
//! `serde_json::Value` so they nest in these envelopes instead of being strings.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The input of the generated Temporal workflow.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct GraphInput {
    /// The workflow's inputs, as `DurableWorkflow::encode_input` encodes them (an array).
    pub(crate) input: Value,
}

/// The result of the generated Temporal workflow when every node succeeded.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct GraphOutput {
    /// The output struct, as `DurableWorkflow::encode_output` encodes it (an array).
    pub(crate) outputs: Value,
    /// The attempt that succeeded, per node (plan order).
    pub(crate) attempts: Vec<u32>,
}

/// The input of one node's activity: the values its ports read, and nothing else.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct NodeInput {
    /// The workflow's inputs, when the node reads one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) input: Option<Value>,
    /// The outputs of the nodes it reads, by node index.
    #[serde(default)]
    pub(crate) sources: Vec<(usize, Value)>,
    /// For one item of a `for` fan-out: the item's index in the whole list (the list in
    /// `input`/`sources` then holds that item only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) item: Option<usize>,
}

/// The result of one node's activity.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct NodeOutput {
    /// The node's output, as `DurableWorkflow::encode_value` encodes it.
    pub(crate) value: Value,
    /// Which attempt produced it (Temporal's attempt number, from 1).
    pub(crate) attempt: u32,
    /// For one item of a `for` fan-out: the fan-out's `#[concurrency = N]`
    /// (`usize::MAX` without one), which bounds the items the workflow schedules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) fan_out_concurrency: Option<usize>,
}

/// What went wrong, in terms the client turns back into a `WorkflowError`: the details
/// of a failed activity and of a failed workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FailureInfo {
    pub(crate) kind: FailureKind,
    /// The node's binding name, when one node is to blame.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) node: Option<String>,
    /// Attempts made (for a node).
    #[serde(default)]
    pub(crate) attempts: u32,
    /// The cause, as its `Display` printed it.
    pub(crate) message: String,
    /// The `Display` of each `source()` below the cause.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) chain: Vec<String>,
    /// For [`FailureKind::PayloadTooLarge`]: which value, and how large.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) size: Option<PayloadSize>,
}

/// A value over the payload limit: which, its size and the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PayloadSize {
    /// The node's input (`false`) or output (`true`); of the workflow without a node.
    pub(crate) output: bool,
    pub(crate) bytes: u64,
    pub(crate) limit: u64,
}

impl FailureInfo {
    /// `node`'s input or output (the workflow's, without a node) is `bytes` long, over
    /// `limit`.
    pub(crate) fn too_large(node: Option<&str>, output: bool, bytes: usize, limit: usize) -> Self {
        let what = if output { "output" } else { "input" };
        let whose = node.map_or_else(|| "the workflow".to_owned(), |n| format!("node `{n}`"));
        Self {
            kind: FailureKind::PayloadTooLarge,
            node: node.map(str::to_owned),
            attempts: 0,
            message: format!(
                "the {what} of {whose} is {bytes} bytes, over the {limit} byte limit of a Temporal payload"
            ),
            chain: Vec::new(),
            size: Some(PayloadSize {
                output,
                bytes: bytes as u64,
                limit: limit as u64,
            }),
        }
    }
}

/// The kinds of [`FailureInfo`], one per `WorkflowError` variant a run on Temporal can end
/// with, plus a payload too large for Temporal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum FailureKind {
    /// The node's fn returned `Err`.
    NodeFailed,
    /// The node's fn panicked.
    NodePanicked,
    /// An attempt ran out of time; `message` is the limit in milliseconds.
    NodeTimeout,
    /// All attempts together ran out of time (the node's `retry(total_timeout)`,
    /// Temporal's `schedule_to_close`); `message` is the limit in milliseconds and
    /// `attempts` the attempt it ran out in.
    NodeTotalTimeout,
    /// A `Res<T>` is not registered on the worker; `message` is its type.
    MissingResource,
    /// A `Res<T>` is registered as `Arc<T>`; `message` is its type.
    ResourceRegisteredAsArc,
    /// A value did not encode or decode.
    Payload,
    /// A value is over the payload limit (`size` says which).
    PayloadTooLarge,
    /// The node's activity, or the run, was cancelled.
    Cancelled,
}

impl FailureKind {
    /// The Temporal failure type name (`ApplicationFailure::type_name`), what the
    /// Temporal UI shows and `non_retryable_error_types` would match.
    pub(crate) fn type_name(self) -> &'static str {
        match self {
            Self::NodeFailed => "workflow.NodeFailed",
            Self::NodePanicked => "workflow.NodePanicked",
            Self::NodeTimeout => "workflow.NodeTimeout",
            Self::NodeTotalTimeout => "workflow.NodeTotalTimeout",
            Self::MissingResource => "workflow.MissingResource",
            Self::ResourceRegisteredAsArc => "workflow.ResourceRegisteredAsArc",
            Self::Payload => "workflow.Payload",
            Self::PayloadTooLarge => "workflow.PayloadTooLarge",
            Self::Cancelled => "workflow.Cancelled",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_round_trips_through_json() {
        let info = FailureInfo {
            kind: FailureKind::NodeFailed,
            node: Some("fetch".into()),
            attempts: 3,
            message: "connection refused".into(),
            chain: vec!["os error 111".into()],
            size: None,
        };
        let text = serde_json::to_string(&info).unwrap();
        assert_eq!(serde_json::from_str::<FailureInfo>(&text).unwrap(), info);
    }

    #[test]
    fn a_node_input_omits_the_workflow_input_it_does_not_read() {
        let input = NodeInput {
            input: None,
            sources: vec![(0, serde_json::json!([1, 2]))],
            item: None,
        };
        assert_eq!(
            serde_json::to_string(&input).unwrap(),
            r#"{"sources":[[0,[1,2]]]}"#
        );
    }
}
